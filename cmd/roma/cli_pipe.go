package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/client"
	"github.com/roma-redis/roma/client/resp"
	"github.com/roma-redis/roma/redisconf"
)

// pipeBatch is how many commands --pipe sends in one pipeline when it
// goes through the client.
const pipeBatch = 4096

// pipeFlush is how many bytes of commands a stream gathers before it
// writes them.
const pipeFlush = 64 << 10

// pipeTimeout is how long a stream waits for the next reply (redis-cli
// --pipe's --pipe-timeout is 30 s too).
const pipeTimeout = 30 * time.Second

// maxPipeErrors is how many error replies --pipe prints; it counts them all.
const maxPipeErrors = 10

// runPipe reads commands from in, as lines or as RESP, and sends them as
// redis-cli --pipe does: each partition's master gets a connection of its
// own, a stream, on which commands are written as they are read while a
// goroutine reads the replies as they come. Commands no one stream can
// take (keys in several partitions, MULTI ... EXEC) run through the client
// once every stream has had its replies. When a master answers READONLY
// or LOADING (a failover), those commands and everything after them go
// through the client, which follows the failover: none is lost. A lost
// connection costs the commands in flight on it, which count as errors.
// At the end it prints how many replies and errors came back, and the
// first errors, each with its command's number.
func runPipe(ss *cliSession, in io.Reader) error {
	p := &piper{ss: ss, streams: make([]*pipeStream, ss.c.Partitions())}
	stop := context.AfterFunc(ss.ctx, p.abort)
	defer stop()
	defer p.close()
	next := pipeReader(bufio.NewReaderSize(in, 1<<20))
	var args [][]byte
	for {
		var err error
		args, err = next(args[:0])
		if err == io.EOF {
			break
		}
		if err != nil {
			p.drain()
			return fmt.Errorf("--pipe: command %d: %w", p.n+1, err)
		}
		if len(args) == 0 {
			continue
		}
		p.n++
		p.command(args)
	}
	p.finish()
	if err := ss.ctx.Err(); err != nil {
		return err
	}
	errs := p.errors()
	for _, e := range errs[:min(len(errs), maxPipeErrors)] {
		fmt.Fprintf(ss.errOut, "command %d: %s\n", e.seq, e.msg)
	}
	if p.errs > maxPipeErrors {
		fmt.Fprintf(ss.errOut, "... and %d more errors\n", p.errs-maxPipeErrors)
	}
	if ss.format == formatJSON {
		js, _ := json.Marshal(map[string]int{"replies": p.replies, "errors": p.errs})
		fmt.Fprintf(ss.out, "%s\n", js)
	} else {
		fmt.Fprintf(ss.out, "errors: %d, replies: %d\n", p.errs, p.replies)
	}
	if p.errs > 0 {
		return exitStatus(exitError)
	}
	return nil
}

// pipeErr is an error reply, or an error in place of one, and the number
// of its command.
type pipeErr struct {
	seq int
	msg string
}

// piper sends --pipe's commands: on the streams, or through the client.
type piper struct {
	ss      *cliSession
	n       int // commands read so far
	replies int // counted when known: the streams add theirs at the end
	errs    int
	errList []pipeErr // the first errors of the client's commands

	streams []*pipeStream // by partition, opened when first used
	slow    bool          // a stream failed: the rest goes through the client
	closed  []*pipeStream // failed streams, for their counts

	batch    []*redis.RawCmd // for the client, when slow
	batchSeq []int

	inTx  bool
	txSeq int // MULTI's command number
	tx    [][]string

	scratch []any // PartitionOfBytes's

	mu    sync.Mutex
	conns []net.Conn // every stream's, for abort
}

// command sends one command, number p.n.
func (p *piper) command(args [][]byte) {
	is := func(name string) bool { return bytes.EqualFold(args[0], []byte(name)) }
	switch {
	case is("multi") && !p.inTx:
		p.inTx, p.txSeq, p.tx = true, p.n, nil
		return
	case is("exec") && p.inTx:
		p.inTx = false
		p.drain()
		p.runTx()
		return
	case is("discard") && p.inTx:
		p.inTx = false
		p.replies += len(p.tx) + 2 // MULTI's OK, QUEUED each, DISCARD's OK
		return
	case p.inTx:
		p.tx = append(p.tx, strArgs(args))
		return
	case p.slow:
		p.queueSlowBytes(args)
		return
	}
	part, scratch, err := p.ss.c.PartitionOfBytes(args, p.scratch)
	p.scratch = scratch
	switch {
	case errors.Is(err, client.ErrCrossPartition):
		// The client splits MGET, MSET, DEL...; it refuses the others.
		p.drain()
		p.queueSlowBytes(args)
		p.flushSlow()
		return
	case err != nil:
		p.replies++
		p.error(p.n, cliError(err, false).Error())
		return
	}
	s, err := p.stream(part)
	if err != nil {
		p.replies++
		p.error(p.n, cliError(err, false).Error())
		return
	}
	if s == nil { // it could not connect: the client may, after a failover
		p.queueSlowBytes(args)
		return
	}
	s.send(p.n, args)
}

// stream returns partition part's stream, opening it when needed. It
// returns nil, and from then on sends everything through the client, when
// the master cannot be reached or a stream has failed; the error is one
// the command itself gets (HALT, no master).
func (p *piper) stream(part int) (*pipeStream, error) {
	if s := p.streams[part]; s != nil {
		if !s.failed.Load() {
			return s, nil
		}
		p.goSlow()
		return nil, nil
	}
	node, err := p.ss.c.Master(part)
	if err != nil {
		return nil, err
	}
	conn, err := p.ss.c.DialNode(p.ss.ctx, node)
	if err != nil {
		p.goSlow()
		return nil, nil
	}
	p.mu.Lock()
	p.conns = append(p.conns, conn)
	p.mu.Unlock()
	if p.ss.ctx.Err() != nil { // abort may have run before
		conn.Close()
	}
	s := &pipeStream{node: node, conn: conn, queue: make(chan pipeItem, 64), done: make(chan struct{})}
	go s.read()
	p.streams[part] = s
	return s, nil
}

// goSlow waits for every stream's replies, closes the streams, and sends
// the rest through the client.
func (p *piper) goSlow() {
	p.drain()
	for i, s := range p.streams {
		if s != nil {
			s.close()
			p.closed = append(p.closed, s)
			p.streams[i] = nil
		}
	}
	p.slow = true
}

// drain sends what the streams hold and waits for every reply; the
// commands a failover turned away then go through the client.
func (p *piper) drain() {
	for _, s := range p.streams {
		if s != nil {
			s.flush()
			ack := make(chan struct{})
			s.queue <- pipeItem{ack: ack}
			select {
			case <-ack:
			case <-s.done:
			}
			p.retry(s)
		}
	}
	p.flushSlow()
}

// retry queues, for the client, the commands s's master turned away.
func (p *piper) retry(s *pipeStream) {
	for _, c := range s.retries {
		args, err := resp.NewReader(bytes.NewReader(c.raw)).ReadCommand(nil)
		if err != nil { // cannot be: the stream wrote them from arguments
			p.replies++
			p.error(c.seq, fmt.Sprintf("retry after %s: %v", c.why, err))
			continue
		}
		p.queueSlow(c.seq, args)
	}
	s.retries = nil
}

// finish ends the input: an unfinished MULTI is never run (the server
// would have answered it and each command queued, then dropped it with
// the connection), and everything sent is waited for.
func (p *piper) finish() {
	if p.inTx {
		p.replies += len(p.tx) + 1
		p.inTx = false
	}
	p.drain()
}

// close closes the streams and waits for their readers.
func (p *piper) close() {
	for i, s := range p.streams {
		if s != nil {
			s.close()
			p.closed = append(p.closed, s)
			p.streams[i] = nil
		}
	}
}

// abort closes every connection: the context is done.
func (p *piper) abort() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

// errors returns the errors to print, in command order, and adds the
// streams' counts to p's.
func (p *piper) errors() []pipeErr {
	p.close()
	all := slices.Clone(p.errList)
	for _, s := range p.closed {
		p.replies += s.replies
		p.errs += s.errs
		all = append(all, s.errList...)
		s.replies, s.errs, s.errList = 0, 0, nil
	}
	p.closed = nil
	slices.SortFunc(all, func(a, b pipeErr) int { return a.seq - b.seq })
	return all
}

func (p *piper) error(seq int, msg string) {
	p.errs++
	if len(p.errList) < maxPipeErrors {
		p.errList = append(p.errList, pipeErr{seq, msg})
	}
}

// queueSlowBytes adds command p.n to the client's next pipeline.
func (p *piper) queueSlowBytes(args [][]byte) {
	a := make([]any, len(args))
	for i, b := range args {
		a[i] = string(b)
	}
	p.queueSlow(p.n, a)
}

// queueSlow adds command seq to the client's next pipeline.
func (p *piper) queueSlow(seq int, args []any) {
	p.batch = append(p.batch, redis.NewRawCmd(p.ss.ctx, args...))
	p.batchSeq = append(p.batchSeq, seq)
	if len(p.batch) == pipeBatch {
		p.flushSlow()
	}
}

// flushSlow sends the client's pipeline and counts its replies.
func (p *piper) flushSlow() {
	if len(p.batch) == 0 {
		return
	}
	ss := p.ss
	_, _ = ss.c.Pipelined(ss.ctx, func(pl redis.Pipeliner) error {
		for _, c := range p.batch {
			_ = pl.Process(ss.ctx, c)
		}
		return nil
	})
	for i, c := range p.batch {
		p.replies++
		switch raw, err := c.Result(); {
		case err != nil:
			p.error(p.batchSeq[i], cliError(err, false).Error())
		case len(raw) > 0 && raw[0] == '-':
			p.error(p.batchSeq[i], strings.TrimRight(string(raw[1:]), "\r\n"))
		}
	}
	p.batch, p.batchSeq = p.batch[:0], p.batchSeq[:0]
}

// runTx runs the MULTI ... EXEC block just read: its replies are MULTI's,
// one per command queued, and EXEC's.
func (p *piper) runTx() {
	cmds := p.tx
	p.tx = nil
	p.replies += len(cmds) + 2
	tx := &cliTx{part: -1}
	p.ss.tx = tx
	for i, a := range cmds {
		if v := p.ss.queue(a); v.isErr() {
			p.error(p.txSeq+1+i, v.reply.Str)
		}
	}
	p.ss.tx = nil
	exec := p.txSeq + len(cmds) + 1
	res, err := p.ss.execMulti(tx)
	switch {
	case err != nil:
		p.error(exec, cliError(err, false).Error())
	case res.reply.IsError():
		p.error(exec, res.reply.Str)
	default:
		for _, v := range res.reply.Elems {
			if v.IsError() {
				p.error(exec, v.Str)
			}
		}
	}
}

func strArgs(args [][]byte) []string {
	out := make([]string, len(args))
	for i, b := range args {
		out[i] = string(b)
	}
	return out
}

// pipeItem is what a stream's writer hands its reader: the commands just
// written (buf, each ending at its end) and their numbers, in order; or an
// ack to close once every reply before it has been read.
type pipeItem struct {
	seqs []int
	ends []int
	buf  []byte
	ack  chan struct{}
}

// pipeRetry is a command a master turned away during a failover.
type pipeRetry struct {
	seq int
	raw []byte
	why string
}

// pipeStream is one master's connection: commands are written on it
// without waiting, and a goroutine reads their replies.
type pipeStream struct {
	node  client.Node
	conn  net.Conn
	buf   []byte // commands not yet written
	ends  []int  // where each ends in buf
	seqs  []int  // their numbers
	queue chan pipeItem
	done  chan struct{} // the reader has stopped

	// failed: the connection failed, or the node answered READONLY or
	// LOADING (a failover): no more commands for it.
	failed atomic.Bool
	closed bool

	// The reader's, read once done is closed or an ack is.
	replies, errs int
	errList       []pipeErr
	retries       []pipeRetry
}

// send adds a command to the stream, writing when enough has gathered.
func (s *pipeStream) send(seq int, args [][]byte) {
	s.buf = resp.AppendCommandBytes(s.buf, args...)
	s.ends = append(s.ends, len(s.buf))
	s.seqs = append(s.seqs, seq)
	if len(s.buf) >= pipeFlush {
		s.flush()
	}
}

// flush writes the commands gathered. Their numbers go to the reader
// first, so that it always knows whose reply comes next.
func (s *pipeStream) flush() {
	if len(s.seqs) == 0 {
		return
	}
	// The reader keeps buf, to hand back what a failover turns away.
	buf := s.buf
	s.queue <- pipeItem{seqs: s.seqs, ends: s.ends, buf: buf}
	s.seqs = make([]int, 0, cap(s.seqs))
	s.ends = make([]int, 0, cap(s.ends))
	s.buf = make([]byte, 0, cap(s.buf))
	_, err := s.conn.Write(buf)
	if err != nil {
		s.failed.Store(true)
		s.conn.Close() // the reader counts what was not answered
	}
}

// close writes what is left, stops the reader once it has every reply,
// and closes the connection.
func (s *pipeStream) close() {
	if s.closed {
		return
	}
	s.closed = true
	s.flush()
	close(s.queue)
	<-s.done
	s.conn.Close()
}

// read reads the replies of the commands queued, in order, counting them
// and keeping the first errors. From the first READONLY or LOADING on, the
// commands the master turns away are kept for the client. Once the
// connection fails, the commands left get an error each.
func (s *pipeStream) read() {
	defer close(s.done)
	r := resp.NewReader(bufio.NewReaderSize(s.conn, 64<<10))
	var lost error
	for item := range s.queue {
		if item.ack != nil {
			close(item.ack)
			continue
		}
		if lost == nil {
			_ = s.conn.SetReadDeadline(time.Now().Add(pipeTimeout))
		}
		for i, seq := range item.seqs {
			if lost != nil {
				s.replies++
				s.error(seq, lost.Error())
				continue
			}
			msg, isErr, err := r.SkipReply()
			switch {
			case err != nil:
				lost = fmt.Errorf("no reply: connection to %s (%s) lost: %w", s.node.Name, s.node.Addr, err)
				s.failed.Store(true)
				s.conn.Close()
				s.replies++
				s.error(seq, lost.Error())
			case isErr && (strings.HasPrefix(msg, "READONLY") || strings.HasPrefix(msg, "LOADING")):
				s.failed.Store(true)
				start := 0
				if i > 0 {
					start = item.ends[i-1]
				}
				s.retries = append(s.retries, pipeRetry{seq, item.buf[start:item.ends[i]], msg})
			case isErr:
				s.replies++
				s.error(seq, msg)
			default:
				s.replies++
			}
		}
	}
}

func (s *pipeStream) error(seq int, msg string) {
	s.errs++
	if len(s.errList) < maxPipeErrors {
		s.errList = append(s.errList, pipeErr{seq, msg})
	}
}

// pipeReader returns a function that reads the next command of r and
// appends its arguments to args: RESP arrays of strings when the input
// starts with '*', else lines. The arguments are valid until the next
// call.
func pipeReader(r *bufio.Reader) func(args [][]byte) ([][]byte, error) {
	if b, err := r.Peek(1); err == nil && b[0] == '*' {
		rr := resp.NewReader(r)
		return rr.ReadCommandBytes
	}
	return func(args [][]byte) ([][]byte, error) {
		line, err := r.ReadString('\n')
		if err == io.EOF && line == "" {
			return nil, io.EOF
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		a, err := redisconf.SplitArgs(strings.TrimRight(line, "\r\n"))
		if err != nil {
			return nil, err
		}
		for _, s := range a {
			args = append(args, []byte(s))
		}
		return args, nil
	}
}
