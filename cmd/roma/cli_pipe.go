package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// runPipe reads commands from in, as lines or as RESP, sends them in
// pipelines (each split per partition), and prints how many replies and
// errors came back. MULTI ... EXEC runs as one transaction.
func runPipe(ss *cliSession, in io.Reader) error {
	br := bufio.NewReaderSize(in, 1<<20)
	next := pipeReader(br)
	pr := &pipeRun{ss: ss}
	var batch []*redis.RawCmd
	var tx [][]string
	inTx := false
	for {
		args, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			pr.flush(batch)
			return fmt.Errorf("--pipe: command %d: %w", pr.n+len(batch)+1, err)
		}
		if len(args) == 0 {
			continue
		}
		switch name := strings.ToLower(args[0]); {
		case name == "multi" && !inTx:
			pr.flush(batch)
			batch, inTx, tx = nil, true, nil
		case name == "exec" && inTx:
			pr.runTx(tx)
			inTx = false
		case name == "discard" && inTx:
			pr.n += len(tx) + 2
			pr.replies += len(tx) + 2
			inTx = false
		case inTx:
			tx = append(tx, args)
		default:
			batch = append(batch, redis.NewRawCmd(ss.ctx, toArgs(args)...))
			if len(batch) == pipeBatch {
				pr.flush(batch)
				batch = batch[:0]
			}
		}
	}
	pr.flush(batch)
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

// pipeReader returns a function that reads the next command of r: RESP
// arrays of strings when the input starts with '*', else lines.
func pipeReader(r *bufio.Reader) func() ([]string, error) {
	if b, err := r.Peek(1); err == nil && b[0] == '*' {
		rr := resp.NewReader(r)
		return func() ([]string, error) {
			v, err := rr.Read()
			if err != nil {
				return nil, err
			}
			if v.Type != resp.Array || v.Nil {
				return nil, errors.New("not a command: RESP input must be arrays of strings")
			}
			out := make([]string, len(v.Elems))
			for i, e := range v.Elems {
				if e.Type != resp.BulkString && e.Type != resp.SimpleString || e.Nil {
					return nil, errors.New("not a command: RESP input must be arrays of strings")
				}
				out[i] = e.Str
			}
			return out, nil
		}
	}
	return func() ([]string, error) {
		line, err := r.ReadString('\n')
		if err == io.EOF && line == "" {
			return nil, io.EOF
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		return splitArgs(strings.TrimRight(line, "\r\n"))
	}
}
