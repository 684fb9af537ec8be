package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/status"
)

// Client is a Redis client of a whole roma cluster. Its methods are
// go-redis's (Get, Set, MGet, Pipeline, TxPipeline, Do...); each command
// goes to the master of its key's partition, as the latest status says.
// A Client is safe for concurrent use.
type Client struct {
	// Cmdable gives every go-redis command; they are routed by key.
	redis.Cmdable

	front  *redis.Client // never dials: its hooks route every command
	opt    Options
	w      *watcher
	nodes  *nodeSet
	closed atomic.Bool
}

// New connects to the cluster whose status nodes o names: it reads the
// status from a majority of them, then follows it (published changes,
// polling, failovers). It fails when no majority answers (the error is
// ErrNoMajority and ErrHalt, and ErrPassword when the status nodes refuse
// o's password). A cluster in HALT gives a Client whose
// commands fail with ErrHalt until the status changes.
func New(ctx context.Context, o Options) (*Client, error) {
	switch {
	case o.Cluster == "":
		return nil, errors.New("client: no cluster name")
	case len(o.StatusAddrs) == 0:
		return nil, fmt.Errorf("client: cluster %q: no status node addresses", o.Cluster)
	}
	o.setDefaults()
	c := &Client{opt: o}
	c.nodes = &nodeSet{nodes: map[string]*node{}, opts: c.nodeOptions}
	c.w = newWatcher(&c.opt, c.nodes)
	c.w.refresh(ctx)
	v := c.w.view()
	if v == nil || errors.Is(v.err, ErrNoMajority) {
		c.w.close()
		if v == nil {
			return nil, ctx.Err()
		}
		return nil, v.err
	}
	c.w.start()
	c.front = redis.NewClient(&redis.Options{Addr: "roma-router:0", Protocol: 2, DisableIdentity: true})
	c.front.AddHook(hooks{c})
	c.Cmdable = c.front
	return c, nil
}

// NewFromSpec is New for the cluster spec declares (see SpecOptions); o
// gives the tuning fields.
func NewFromSpec(ctx context.Context, spec *cluster.Spec, o Options) (*Client, error) {
	so := SpecOptions(spec)
	o.Cluster, o.StatusAddrs, o.Password = so.Cluster, so.StatusAddrs, so.Password
	o.Databases, o.NodeAddrs, o.Hash = so.Databases, so.NodeAddrs, so.Hash
	if o.FailoverWait <= 0 {
		o.FailoverWait = so.FailoverWait
	}
	if o.DownAfter <= 0 {
		o.DownAfter = so.DownAfter
	}
	return New(ctx, o)
}

func (c *Client) nodeOptions(addr string, db int) *redis.Options {
	return redisconn.WithPrevious(&redis.Options{
		Addr: addr, Password: c.opt.Password.Reveal(), DB: db, Protocol: 2, DisableIdentity: true,
		MaxRetries: -1, DialerRetries: 1,
		DialTimeout: c.opt.DialTimeout, ReadTimeout: c.opt.ReadTimeout, WriteTimeout: c.opt.WriteTimeout,
		ContextTimeoutEnabled: true,
		PoolSize:              c.opt.PoolSize,
	}, c.opt.Password.Previous().Reveal())
}

// Close stops following the status and closes every connection.
func (c *Client) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	c.w.close()
	c.nodes.close()
	return c.front.Close()
}

// Process runs cmd on the partition of its keys.
func (c *Client) Process(ctx context.Context, cmd redis.Cmder) error {
	return c.front.Process(ctx, cmd)
}

// Do runs any command, routed by its keys.
func (c *Client) Do(ctx context.Context, args ...any) *redis.Cmd {
	cmd := redis.NewCmd(ctx, args...)
	_ = c.Process(ctx, cmd)
	return cmd
}

// view returns the view a command routes by. While no majority of the
// status nodes answers (one restarting, and it is the majority), it waits
// up to FailoverWait for a new reading, as a failed-over command waits
// for the new status, and the command fails (ErrNoMajority, ErrHalt) only
// then: a status node's restart costs no command.
func (c *Client) view(ctx context.Context) *view {
	v := c.w.view()
	if v.err == nil || !errors.Is(v.err, ErrNoMajority) {
		return v
	}
	return c.w.waitMajority(ctx, c.opt.FailoverWait)
}

// Status returns the status the client routes by, and the error every
// command gets meanwhile (HALT, no majority), if any.
func (c *Client) Status() (*status.Status, error) {
	v := c.w.view()
	return v.status, v.err
}

// Refresh rereads the status now.
func (c *Client) Refresh(ctx context.Context) error {
	c.w.refresh(ctx)
	return c.w.view().err
}

// Partitions returns the number of partitions.
func (c *Client) Partitions() int { return len(c.w.view().parts) }

// Node is a data node as the client reaches it.
type Node struct {
	Name string `json:"name"`
	Addr string `json:"addr"`
	DB   int    `json:"db"`
}

// Location is where a key lives.
type Location struct {
	Key       string `json:"key"`
	Partition int    `json:"partition"`
	Master    *Node  `json:"master"` // nil when the partition has no master
	Replicas  []Node `json:"replicas"`
	Epoch     int64  `json:"epoch"`
}

// Locate returns the partition of key and the nodes that serve it. The
// error is the one commands on it would get (HALT...); the partition is
// filled whenever the hash function is known.
func (c *Client) Locate(key string) (Location, error) {
	v := c.w.view()
	loc := Location{Key: key, Partition: -1, Epoch: v.epoch}
	p, err := v.partition(key)
	if err != nil {
		return loc, err
	}
	loc.Partition = p
	pv := v.parts[p]
	if pv.master != nil {
		loc.Master = &Node{Name: pv.master.Name, Addr: pv.master.Addr, DB: pv.master.DB}
	}
	for _, r := range pv.replicas {
		loc.Replicas = append(loc.Replicas, Node{Name: r.Name, Addr: r.Addr, DB: r.DB})
	}
	if v.err != nil {
		return loc, v.err
	}
	return loc, pv.err
}

// PartitionOf returns the one partition a command's keys are in. It fails
// as the command would (unknown, no key, wrong arguments...), and with
// ErrCrossPartition when its keys span partitions, even for commands the
// client would split: roma cli uses it to keep a transaction on one
// partition.
func (c *Client) PartitionOf(args ...any) (int, error) {
	r, err := c.routeArgs(c.w.view(), args, nil)
	if err != nil {
		return 0, err
	}
	if r.part < 0 {
		return 0, crossErr(r.name, r.kparts[0], otherPart(r.kparts))
	}
	return r.part, nil
}

// PartitionOfBytes is PartitionOf for arguments as byte slices (args[0]
// is the command's name), as a caller that reads RESP has them; it
// allocates nothing for them.
func (c *Client) PartitionOfBytes(args [][]byte, scratch []any) (int, []any, error) {
	scratch = scratch[:0]
	for i := range args {
		scratch = append(scratch, &args[i]) // a pointer fits in an interface as it is
	}
	p, err := c.PartitionOf(scratch...)
	return p, scratch, err
}

// Master returns partition p's master, for ProcessPartition's callers to
// say where a reply came from.
func (c *Client) Master(p int) (Node, error) {
	n, err := c.w.view().pick(p, false, false)
	if err != nil {
		return Node{}, err
	}
	return Node{Name: n.Name, Addr: n.Addr, DB: n.DB}, nil
}

// ProcessPartition runs cmd on partition p's master whatever its keys:
// for keyless commands (DBSIZE, KEYS, SCAN, INFO...) run on every
// partition, and for commands the routing table does not know. Commands
// roma refuses, and transactions, are refused here too.
func (c *Client) ProcessPartition(ctx context.Context, p int, cmd redis.Cmder) error {
	if err := Check(cmd.Args()...); err != nil {
		return setErr(cmd, err)
	}
	var werr error // why no newer status came after the first attempt
	for attempt := 0; ; attempt++ {
		v := c.view(ctx)
		n, err := v.pick(p, false, false)
		if err != nil {
			return setErr(cmd, err)
		}
		sent := time.Now()
		_ = n.client.Process(ctx, cmd)
		nodeErr(cmd, n, p)
		if succeeded(cmd) && writes(cmd) {
			if err := c.deposed(ctx, v, n, sent); err != nil {
				return setErr(cmd, err)
			}
		}
		if attempt > 0 || !failedOver(cmd) {
			stillFailed(cmd, werr)
			return cmd.Err()
		}
		var retry bool
		if retry, werr = c.awaitFailover(ctx, v, n); !retry {
			stillFailed(cmd, werr)
			return cmd.Err()
		}
		cmd.SetErr(nil)
	}
}

// Check fails when a command may not run on a partition whatever its
// keys: one roma refuses, a transaction command, or a known command with
// the wrong number of arguments. Unknown commands pass.
func Check(args ...any) error {
	if len(args) == 0 {
		return errors.New("client: empty command")
	}
	name := argString(args[0])
	info := lookup(name)
	if info == nil {
		return nil
	}
	if err := checkArgs(name, info, args); err != nil {
		return err
	}
	if info.flags&txControl != 0 {
		return cmdErr(name, ErrRefused, "transactions run with TxPipeline or Watch")
	}
	return nil
}

// Watch runs fn in a WATCH of keys on their partition's master, as
// go-redis's Client.Watch does; keys must share a partition. The commands
// fn sends through its Tx go to that master, whatever their keys. When
// romad failed that master over meanwhile, Watch returns ErrDeposed: what
// fn's transaction wrote is likely lost.
func (c *Client) Watch(ctx context.Context, fn func(*redis.Tx) error, keys ...string) error {
	if len(keys) == 0 {
		return cmdErr("WATCH", ErrArgs, "needs at least one key")
	}
	v := c.view(ctx)
	part := -1
	for _, k := range keys {
		p, err := v.partition(k)
		if err != nil {
			return err
		}
		if part >= 0 && p != part {
			return crossErr("WATCH", part, p)
		}
		part = p
	}
	n, err := v.pick(part, false, false)
	if err == nil && n.cut.Load() != nil {
		// romad deposed it: the transaction goes to the new master.
		if _, werr := c.awaitFailover(ctx, v, n); werr != nil {
			return fmt.Errorf("%w; %w", errCut, werr)
		}
		v = c.view(ctx)
		n, err = v.pick(part, false, false)
	}
	if err != nil {
		return err
	}
	sent := time.Now()
	if err := n.client.Watch(ctx, fn, keys...); err != nil {
		if cut := n.cut.Load(); cut != nil {
			var reply redis.Error
			if !errors.As(err, &reply) && !errors.Is(err, redis.TxFailedErr) {
				return cutWrite(n, part, cut) // its EXEC may have run
			}
		}
		return err
	}
	return c.deposed(ctx, v, n, sent)
}

func setErr(cmd redis.Cmder, err error) error {
	cmd.SetErr(err)
	return err
}

// failedOver reports whether cmd failed in a way a failover explains and
// that leaves it unexecuted, so that a retry elsewhere is safe: READONLY,
// LOADING, MASTERDOWN, MISCONF (a master that cannot save refuses writes,
// and PING, so romad fails it over), or a connection that could not be
// made.
func failedOver(cmd redis.Cmder) bool {
	err := cmd.Err()
	if err != nil {
		return isFailover(err)
	}
	if rc, ok := cmd.(*redis.RawCmd); ok {
		b := rc.Val()
		if len(b) == 0 || b[0] != '-' {
			return false
		}
		return failoverReply(string(b[1:min(len(b), 16)]))
	}
	return false
}

// awaitFailover waits, at most FailoverWait, for a status newer than v in
// which none of the failed nodes is a partition's master any longer,
// after commands failed on them in a way a failover explains. Any newer
// status is not enough: romad publishes one per change, and during a
// roll the switchover of another partition, or a replica back up, comes
// before the one that moves these nodes' partitions, and a retry on it
// would meet the same READONLY. retry says whether sending them again
// can help: not once ctx has ended with no such status. werr, when none
// came, says so (ErrNoFailover), for stillFailed.
//
// A master back from a restart in place (by roma start, or its service
// manager after a crash) ends the wait too when its partition has no
// replica up: romad has none to promote, so no failover is coming, and
// the commands waited the whole FailoverWait (down_after and 2s) for
// nothing. With a replica, romad decides: a master that restarted behind
// its replicas is failed over (restart protection), and a write sent to
// it as it came back would be lost.
func (c *Client) awaitFailover(ctx context.Context, v *view, failed ...*node) (retry bool, werr error) {
	if why := c.w.await(ctx, c.opt.FailoverWait, func(nv *view) bool {
		return nv.epoch > v.epoch && !slices.ContainsFunc(failed, nv.isMaster) || backAlone(ctx, nv, failed)
	}); why != "" {
		werr = fmt.Errorf("%w %s", ErrNoFailover, why)
	}
	return werr == nil || ctx.Err() == nil, werr
}

// backAlone reports whether each of failed that nv makes a master is
// back, and alone in its partition: no replica up there, and it answers
// PING (not loading its data, and able to save) and ROLE master, within
// 250ms.
func backAlone(ctx context.Context, nv *view, failed []*node) bool {
	if nv.err != nil {
		return false
	}
	for i := range nv.parts {
		n := nv.parts[i].master
		if n == nil || !slices.ContainsFunc(failed, n.same) {
			continue
		}
		if len(nv.parts[i].replicas) > 0 {
			return false
		}
		pctx, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
		var ping *redis.StatusCmd
		var role *redis.Cmd
		_, _ = n.client.Pipelined(pctx, func(p redis.Pipeliner) error {
			ping, role = p.Ping(pctx), p.Do(pctx, "ROLE")
			return nil
		})
		cancel()
		r, err := role.Slice()
		if ping.Err() != nil || err != nil || len(r) == 0 || r[0] != "master" {
			return false
		}
	}
	return true
}

func isFailover(err error) bool {
	if err == nil {
		return false
	}
	if re, ok := err.(redis.Error); ok {
		// An error reply as the server sent it, the common case (redis.Nil
		// for every missing key among them): its text says it all, without
		// the errors.As walks of go-redis's Is*Error, which cost a pipeline
		// of misses more than sending it.
		return failoverReply(re.Error())
	}
	return err == errCut || redis.IsReadOnlyError(err) || redis.IsLoadingError(err) || redis.IsMasterDownError(err) || isDial(err)
}

// failoverReply reports whether an error reply is one a failover explains,
// as go-redis's IsReadOnlyError, IsLoadingError and IsMasterDownError read
// it, or MISCONF.
func failoverReply(s string) bool {
	return strings.HasPrefix(s, "READONLY ") || strings.HasPrefix(s, "LOADING ") || strings.HasPrefix(s, "MASTERDOWN ") || strings.HasPrefix(s, "MISCONF ") ||
		strings.Contains(s, "-READONLY You can't write against a read only replica")
}

// hooks make the front go-redis client route instead of sending.
type hooks struct{ c *Client }

func (h hooks) DialHook(redis.DialHook) redis.DialHook {
	return func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("client: the routing client has no connection of its own")
	}
}

func (h hooks) ProcessHook(redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.c.closed.Load() {
			return ErrClosed
		}
		return h.c.process(ctx, cmd, 0)
	}
}

func (h hooks) ProcessPipelineHook(redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if h.c.closed.Load() {
			for _, cmd := range cmds {
				cmd.SetErr(ErrClosed)
			}
			return ErrClosed
		}
		if isTx(cmds) {
			return h.c.processTx(ctx, cmds)
		}
		h.c.pipeline(ctx, cmds, 0)
		return firstErr(cmds)
	}
}

// firstErr is what a pipeline's Exec returns, as in go-redis: the first
// command's error, redis.Nil included.
func firstErr(cmds []redis.Cmder) error {
	for _, cmd := range cmds {
		if err := cmd.Err(); err != nil {
			return err
		}
	}
	return nil
}
