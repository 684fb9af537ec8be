package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/client/resp"
)

// pipeBatch is how many commands --pipe sends in one pipeline.
const pipeBatch = 4096

// maxPipeErrors is how many error replies --pipe prints; it counts them all.
const maxPipeErrors = 10

// pipeRun counts --pipe's replies and errors.
type pipeRun struct {
	ss      *cliSession
	replies int
	errs    int
	n       int // commands read so far
}

// pipeChunk is what runPipe's reader hands on, in input order: a batch
// of commands to pipeline, a MULTI ... EXEC block, a DISCARDed block, or
// the error that stopped the reading.
type pipeChunk struct {
	batch   []*redis.RawCmd
	tx      [][]string
	isTx    bool
	discard int // commands queued in a DISCARDed block, +1 when one
	err     error
}

// runPipe reads commands from in, as lines or as RESP, sends them in
// pipelines (each split per partition), and prints how many replies and
// errors came back. MULTI ... EXEC runs as one transaction. A goroutine
// reads and parses the next batch while the current one runs.
func runPipe(ss *cliSession, in io.Reader) error {
	br := bufio.NewReaderSize(in, 1<<20)
	// Batches make short-lived garbage in bulk: collect it less often.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	chunks := make(chan pipeChunk, 2)
	go readPipe(ss, pipeReader(br), chunks)
	pr := &pipeRun{ss: ss}
	for ch := range chunks {
		switch {
		case ch.err != nil:
			pr.flush(ch.batch)
			return fmt.Errorf("--pipe: command %d: %w", pr.n+len(ch.batch)+1, ch.err)
		case ch.isTx:
			pr.runTx(ch.tx)
		case ch.discard > 0:
			pr.n += ch.discard + 1
			pr.replies += ch.discard + 1
		default:
			pr.flush(ch.batch)
		}
	}
	if pr.errs > maxPipeErrors {
		fmt.Fprintf(ss.errOut, "... and %d more errors\n", pr.errs-maxPipeErrors)
	}
	if ss.format == formatJSON {
		js, _ := json.Marshal(map[string]int{"replies": pr.replies, "errors": pr.errs})
		fmt.Fprintf(ss.out, "%s\n", js)
	} else {
		fmt.Fprintf(ss.out, "errors: %d, replies: %d\n", pr.errs, pr.replies)
	}
	if pr.errs > 0 {
		return exitStatus(exitError)
	}
	return nil
}

// readPipe reads commands with next until the end of the input or an
// error, and sends them to chunks, which it closes; it stops after an
// error chunk.
func readPipe(ss *cliSession, next func([]any) ([]any, error), chunks chan<- pipeChunk) {
	defer close(chunks)
	var batch []*redis.RawCmd
	send := func() {
		if len(batch) > 0 {
			chunks <- pipeChunk{batch: batch}
			batch = nil
		}
	}
	var tx [][]string
	inTx := false
	// The batch's commands' arguments are end to end in arena, one
	// allocation for many commands; a new batch starts a new arena.
	var arena []any
	for {
		if arena == nil || len(arena) == cap(arena) {
			arena = make([]any, 0, 3*pipeBatch)
		}
		start := len(arena)
		got, err := next(arena)
		if err == io.EOF {
			break
		}
		if err != nil {
			chunks <- pipeChunk{batch: batch, err: err}
			return
		}
		arena = got
		args := arena[start:len(arena):len(arena)]
		if len(args) == 0 {
			continue
		}
		keep := false
		name := args[0].(string)
		switch name[:min(len(name), 1)] { // only these can lower-case to multi, exec or discard
		case "m", "M", "e", "E", "d", "D":
			name = strings.ToLower(name)
		}
		switch {
		case name == "multi" && !inTx:
			send()
			arena = nil
			inTx, tx = true, nil
		case name == "exec" && inTx:
			chunks <- pipeChunk{tx: tx, isTx: true}
			inTx = false
		case name == "discard" && inTx:
			chunks <- pipeChunk{discard: len(tx) + 1}
			inTx = false
		case inTx:
			a := make([]string, len(args))
			for i, v := range args {
				a[i] = v.(string)
			}
			tx = append(tx, a)
		default:
			if batch == nil {
				batch = make([]*redis.RawCmd, 0, pipeBatch)
			}
			batch = append(batch, redis.NewRawCmd(ss.ctx, args...))
			keep = true
			if len(batch) == pipeBatch {
				send()
				arena = nil
			}
		}
		if !keep && arena != nil {
			arena = arena[:start] // no command holds these arguments
		}
	}
	send()
}

// flush sends a batch and counts its replies.
func (pr *pipeRun) flush(batch []*redis.RawCmd) {
	if len(batch) == 0 {
		return
	}
	ss := pr.ss
	_, _ = ss.c.Pipelined(ss.ctx, func(p redis.Pipeliner) error {
		for _, c := range batch {
			_ = p.Process(ss.ctx, c)
		}
		return nil
	})
	for _, c := range batch {
		pr.n++
		pr.replies++
		switch raw, err := c.Result(); {
		case err != nil:
			pr.error(cliError(err, false).Error())
		case len(raw) > 0 && raw[0] == '-':
			pr.error(strings.TrimRight(string(raw[1:]), "\r\n"))
		}
	}
}

// runTx runs a MULTI ... EXEC block: its replies are MULTI's, one per
// command queued, and EXEC's.
func (pr *pipeRun) runTx(cmds [][]string) {
	pr.replies += len(cmds) + 2
	pr.n++ // MULTI
	tx := &cliTx{part: -1}
	pr.ss.tx = tx
	for _, a := range cmds {
		pr.n++
		if v := pr.ss.queue(a); v.isErr() {
			pr.error(v.reply.Str)
		}
	}
	pr.ss.tx = nil
	pr.n++ // EXEC
	res, err := pr.ss.execMulti(tx)
	switch {
	case err != nil:
		pr.error(cliError(err, false).Error())
	case res.reply.IsError():
		pr.error(res.reply.Str)
	default:
		for _, v := range res.reply.Elems {
			if v.IsError() {
				pr.error(v.Str)
			}
		}
	}
}

func (pr *pipeRun) error(msg string) {
	pr.errs++
	if pr.errs <= maxPipeErrors {
		fmt.Fprintf(pr.ss.errOut, "command %d: %s\n", pr.n, msg)
	}
}

// pipeReader returns a function that reads the next command of r and
// appends its arguments, strings, to args: RESP arrays of strings when the
// input starts with '*', else lines.
func pipeReader(r *bufio.Reader) func(args []any) ([]any, error) {
	if b, err := r.Peek(1); err == nil && b[0] == '*' {
		rr := resp.NewReader(r)
		return func(args []any) ([]any, error) {
			return rr.ReadCommand(args)
		}
	}
	return func(args []any) ([]any, error) {
		line, err := r.ReadString('\n')
		if err == io.EOF && line == "" {
			return nil, io.EOF
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		a, err := splitArgs(strings.TrimRight(line, "\r\n"))
		if err != nil {
			return nil, err
		}
		for _, s := range a {
			args = append(args, s)
		}
		return args, nil
	}
}
