package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/client"
	"github.com/roma-redis/roma/client/resp"
)

// cliSession runs roma cli's commands on one client and prints their
// replies.
type cliSession struct {
	ctx     context.Context
	c       *client.Client
	o       *cliOptions
	out     io.Writer // replies
	errOut  io.Writer // --raw error replies
	format  replyFormat
	confirm func(question string) bool // nil: refuse what needs confirmation
	tx      *cliTx                     // inside MULTI
	errors  int                        // error replies and errors so far
	rawText bool                       // the reply being printed is text for people
}

// cliTx is a MULTI being queued.
type cliTx struct {
	part    int // -1 until the first command
	cmds    [][]string
	aborted error // a command that could not be queued: EXEC fails
}

// cliResult is what one command line gave: a reply, or one per partition.
type cliResult struct {
	reply resp.Value
	parts []partReply // with --all, when printed per partition
}

type partReply struct {
	Partition int         `json:"partition"`
	Node      client.Node `json:"node"`
	Reply     resp.Value  `json:"-"`
}

func (r cliResult) isErr() bool {
	if r.parts == nil {
		return r.reply.IsError()
	}
	for _, p := range r.parts {
		if p.Reply.IsError() {
			return true
		}
	}
	return false
}

func toArgs(args []string) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a
	}
	return out
}

// exec runs one command line. The error is a failure before or around
// the command (refused, HALT, connection lost), not an error reply.
func (ss *cliSession) exec(args []string) (cliResult, error) {
	if ss.o.all {
		return ss.execAll(args)
	}
	ctx, cancel, wait := ss.cmdCtx(args)
	defer cancel()
	cmd := redis.NewRawCmd(ctx, toArgs(args)...)
	if err := ss.c.Process(ctx, cmd); err != nil {
		return cliResult{}, waited(ctx, err, wait)
	}
	v, err := resp.Parse(cmd.Val())
	return cliResult{reply: v}, err
}

// waited says how long a command was waited for, when it failed for lack
// of time: no reply in time, or no failover published before ctx's
// deadline.
func waited(ctx context.Context, err error, wait time.Duration) error {
	if !errors.Is(err, client.ErrNoReply) &&
		!(errors.Is(err, client.ErrNoFailover) && errors.Is(ctx.Err(), context.DeadlineExceeded)) {
		return err
	}
	return fmt.Errorf("%w (roma cli waited %s; --timeout sets how long)", err, wait)
}

// cmdCtx is the context of one command: it gives up waiting for the
// reply after --timeout, or, for a command that blocks (BLPOP, XREAD
// BLOCK, WAIT...), after its own timeout and --timeout more; it waits as
// long as it takes for one that blocks with no timeout (0), as redis-cli
// does. wait is how long it waits (0: no limit).
func (ss *cliSession) cmdCtx(args []string) (_ context.Context, _ context.CancelFunc, wait time.Duration) {
	block, forever := blockTimeout(args)
	if forever {
		ctx, cancel := context.WithCancel(ss.ctx)
		return ctx, cancel, 0
	}
	wait = block + ss.o.timeout
	ctx, cancel := context.WithTimeout(ss.ctx, wait)
	return ctx, cancel, wait
}

// blockTimeout is how long a blocking command may block, by its own
// arguments; forever when it says 0. Other commands, and arguments Redis
// will refuse, give 0.
func blockTimeout(args []string) (_ time.Duration, forever bool) {
	if len(args) < 2 {
		return 0, false
	}
	var arg string
	seconds := true
	switch strings.ToLower(args[0]) {
	case "blpop", "brpop", "bzpopmin", "bzpopmax", "brpoplpush", "blmove":
		arg = args[len(args)-1]
	case "blmpop", "bzmpop":
		arg = args[1]
	case "wait", "waitaof":
		arg, seconds = args[len(args)-1], false
	case "xread", "xreadgroup":
		for i := 1; i+1 < len(args) && !strings.EqualFold(args[i], "streams"); i++ {
			if strings.EqualFold(args[i], "block") {
				arg, seconds = args[i+1], false
			}
		}
	}
	if arg == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(arg, 64)
	switch {
	case err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f):
		return 0, false
	case f == 0:
		return 0, true
	case seconds:
		return time.Duration(f * float64(time.Second)), false
	}
	return time.Duration(f * float64(time.Millisecond)), false
}

// execLine runs one line at the prompt or of a script: transactions are
// queued here, and errors become error replies.
func (ss *cliSession) execLine(args []string) cliResult {
	res, err := ss.execTx(args)
	if err != nil {
		res = cliResult{reply: resp.Err(cliError(err, ss.o.all).Error())}
	}
	if res.isErr() {
		ss.errors++
	}
	return res
}

func (ss *cliSession) execTx(args []string) (cliResult, error) {
	name := strings.ToLower(args[0])
	switch {
	case name == "multi":
		if ss.tx != nil {
			return cliResult{reply: resp.Err("ERR MULTI calls can not be nested")}, nil
		}
		ss.tx = &cliTx{part: -1}
		return cliResult{reply: resp.Status("OK")}, nil
	case name == "discard":
		if ss.tx == nil {
			return cliResult{reply: resp.Err("ERR DISCARD without MULTI")}, nil
		}
		ss.tx = nil
		return cliResult{reply: resp.Status("OK")}, nil
	case name == "exec":
		if ss.tx == nil {
			return cliResult{reply: resp.Err("ERR EXEC without MULTI")}, nil
		}
		tx := ss.tx
		ss.tx = nil
		return ss.execMulti(tx)
	case name == "watch" || name == "unwatch":
		return cliResult{}, fmt.Errorf("%s is not supported by roma cli (the client package's Watch is)", strings.ToUpper(name))
	case ss.tx != nil:
		return ss.queue(args), nil
	}
	return ss.exec(args)
}

// queue adds a command to the MULTI being built, or aborts it when the
// command cannot run in it.
func (ss *cliSession) queue(args []string) cliResult {
	tx := ss.tx
	p, err := ss.c.PartitionOf(toArgs(args)...)
	if err == nil && tx.part >= 0 && p != tx.part {
		err = fmt.Errorf("%s is in partition %d, but this transaction is in partition %d; a transaction runs on one partition (give its keys one hash tag, as in {user1}.a and {user1}.b)",
			strings.ToUpper(args[0]), p, tx.part)
	}
	if err != nil {
		if tx.aborted == nil {
			tx.aborted = err
		}
		return cliResult{reply: resp.Err(cliError(err, false).Error())}
	}
	tx.part = p
	tx.cmds = append(tx.cmds, args)
	return cliResult{reply: resp.Status("QUEUED")}
}

// execMulti runs a queued transaction; its reply is the array of its
// commands' replies, as EXEC's.
func (ss *cliSession) execMulti(tx *cliTx) (cliResult, error) {
	if tx.aborted != nil {
		return cliResult{reply: resp.Err("EXECABORT Transaction discarded because of previous errors.")}, nil
	}
	if len(tx.cmds) == 0 {
		return cliResult{reply: resp.Arr()}, nil
	}
	cmds := make([]*redis.RawCmd, len(tx.cmds))
	ctx, cancel := context.WithTimeout(ss.ctx, ss.o.timeout) // nothing blocks inside MULTI
	defer cancel()
	_, err := ss.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for i, a := range tx.cmds {
			cmds[i] = redis.NewRawCmd(ctx, toArgs(a)...)
			_ = p.Process(ctx, cmds[i])
		}
		return nil
	})
	if err != nil {
		if redis.HasErrorPrefix(err, "EXECABORT") {
			return cliResult{reply: resp.Err(err.Error())}, nil
		}
		return cliResult{}, err
	}
	out := resp.Arr()
	for _, c := range cmds {
		v, err := resp.Parse(c.Val())
		if err != nil {
			return cliResult{}, err
		}
		out.Elems = append(out.Elems, v)
	}
	return cliResult{reply: out}, nil
}

// print writes a result in the session's format.
func (ss *cliSession) print(args []string, res cliResult) {
	ss.rawText = textReply(args)
	if res.parts == nil {
		ss.printReply(res.reply)
		return
	}
	for _, p := range res.parts {
		if ss.format == formatJSON {
			js, _ := json.Marshal(map[string]any{"partition": p.Partition, "node": p.Node, "reply": jsonOf(p.Reply)})
			fmt.Fprintf(ss.out, "%s\n", js)
			continue
		}
		fmt.Fprintf(ss.out, "partition %d (%s %s):\n", p.Partition, p.Node.Name, p.Node.Addr)
		ss.printReply(p.Reply)
	}
}

func (ss *cliSession) printReply(v resp.Value) {
	switch {
	case ss.format == formatRaw && v.IsError():
		fmt.Fprintf(ss.errOut, "%s\n", v.Str)
	case ss.format == formatHuman && ss.rawText && v.Type == resp.BulkString && !v.Nil:
		fmt.Fprintf(ss.out, "%s\n", strings.TrimRight(strings.ReplaceAll(v.Str, "\r\n", "\n"), "\n"))
	default:
		fmt.Fprintf(ss.out, "%s\n", formatReply(ss.format, v))
	}
}

// textReply reports whether a command's reply is text for people (INFO,
// CLIENT LIST...), which redis-cli prints as it is rather than quoted.
func textReply(args []string) bool {
	name := strings.ToLower(args[0])
	sub := ""
	if len(args) > 1 {
		sub = strings.ToLower(args[1])
	}
	switch name {
	case "info", "lolwut":
		return true
	case "client":
		return sub == "list" || sub == "info"
	case "memory":
		return sub == "doctor" || sub == "malloc-stats"
	case "latency":
		return sub == "doctor" || sub == "graph"
	}
	return false
}

// which prints the partition and nodes of each key.
func (ss *cliSession) which(keys []string) error {
	var failed error
	for _, k := range keys {
		loc, err := ss.c.Locate(k)
		if loc.Partition < 0 {
			return err
		}
		if err != nil && failed == nil {
			failed = err
		}
		switch ss.format {
		case formatJSON:
			js, _ := json.Marshal(loc)
			fmt.Fprintf(ss.out, "%s\n", js)
		case formatRaw:
			m := client.Node{Name: "-", Addr: "-"}
			if loc.Master != nil {
				m = *loc.Master
			}
			fmt.Fprintf(ss.out, "%s %d %s %s %d\n", k, loc.Partition, m.Name, m.Addr, m.DB)
		default:
			line := fmt.Sprintf("%s: partition %d, ", k, loc.Partition)
			if loc.Master != nil {
				line += fmt.Sprintf("master %s at %s (db %d)", loc.Master.Name, loc.Master.Addr, loc.Master.DB)
			} else {
				line += "no master"
			}
			var rs []string
			for _, r := range loc.Replicas {
				rs = append(rs, r.Name+" at "+r.Addr)
			}
			if len(rs) > 0 {
				line += "; replicas " + strings.Join(rs, ", ")
			}
			fmt.Fprintln(ss.out, line)
		}
	}
	if failed != nil {
		return failed
	}
	return nil
}

// errNotConfirmed: a FLUSHALL (or FLUSHDB) that was not confirmed.
var errNotConfirmed = errors.New("not confirmed: nothing was flushed")
