package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// route is where one command goes.
type route struct {
	name   string
	info   *cmdInfo
	part   int   // the partition of every key, or -1 when the command is split
	keys   []int // positions of the keys in the arguments
	kparts []int // when split: the partition of each key
}

func (r route) read() bool { return r.info.flags&readOnly != 0 }

// route works out where cmd goes in view v, or why it cannot go anywhere.
func (c *Client) route(v *view, cmd redis.Cmder) (route, error) {
	return c.routeArgs(v, cmd.Args(), nil)
}

// lookupCache remembers the last command looked up: a pipeline's
// commands are mostly of one or two kinds.
type lookupCache struct {
	name string
	info *cmdInfo
}

func (lc *lookupCache) lookup(name string) *cmdInfo {
	if lc == nil {
		return lookup(name)
	}
	if lc.info != nil && lc.name == name {
		return lc.info
	}
	info := lookup(name)
	if info != nil {
		lc.name, lc.info = name, info
	}
	return info
}

// routeArgs is route for a command's arguments (args[0] is its name); lc,
// when not nil, saves looking the name up again.
func (c *Client) routeArgs(v *view, args []any, lc *lookupCache) (route, error) {
	if len(args) == 0 {
		return route{}, fmt.Errorf("client: empty command")
	}
	var name string
	var info *cmdInfo
	if b, ok := args[0].(*[]byte); ok { // PartitionOfBytes's: the table's name, not a copy
		if info = lookupLower(*b); info != nil {
			name = info.name
		} else {
			name = string(*b)
		}
	} else {
		name = argString(args[0])
		info = lc.lookup(name)
	}
	if info == nil {
		return route{}, cmdErr(name, ErrUnknownCommand, "unknown command: roma does not know which of its arguments are keys")
	}
	if err := checkArgs(name, info, args); err != nil {
		return route{}, err
	}
	if info.key1 { // most commands: one key, the first argument
		p, err := v.partition(args[1])
		if err != nil {
			return route{}, err
		}
		return route{name: name, info: info, part: p, keys: one}, nil
	}
	switch {
	case info.flags&txControl != 0:
		return route{}, cmdErr(name, ErrRefused, "transactions run with TxPipeline or Watch")
	case info.keys == nil:
		return route{}, cmdErr(name, ErrNoKey, "it has no key to route by; run it on every partition")
	}
	keys, err := info.keys(args)
	switch {
	case err == errArity:
		return route{}, &CommandError{Command: name, Err: ErrArgs}
	case errors.As(err, new(*CommandError)):
		return route{}, err
	case err != nil:
		return route{}, cmdErr(name, ErrArgs, "%v", err)
	}
	if len(keys) == 0 {
		return route{}, cmdErr(name, ErrNoKey, "no key given to route by; run it on every partition")
	}
	r := route{name: name, info: info, keys: keys}
	if r.part, err = v.partition(args[keys[0]]); err != nil {
		return route{}, err
	}
	for i, k := range keys[1:] {
		p, err := v.partition(args[k])
		if err != nil {
			return route{}, err
		}
		if p == r.part || r.kparts != nil {
			if r.kparts != nil {
				r.kparts = append(r.kparts, p)
			}
			continue
		}
		if info.flags&(splitOrdered|splitSum|splitPairs) == 0 {
			return route{}, crossErr(name, r.part, p)
		}
		r.kparts = make([]int, i+1, len(keys))
		for j := range r.kparts {
			r.kparts[j] = r.part
		}
		r.kparts = append(r.kparts, p)
	}
	if r.kparts != nil {
		r.part = -1
	}
	return r, nil
}

// checkArgs checks a known command's argument count and whether it may
// go through roma at all.
func checkArgs(name string, info *cmdInfo, args []any) error {
	if info.flags&refused != 0 {
		return cmdErr(name, ErrRefused, "not allowed through roma: %s", info.why)
	}
	if n := len(args); (info.arity > 0 && n != info.arity) || (info.arity < 0 && n < -info.arity) {
		return &CommandError{Command: name, Err: ErrArgs}
	}
	if info.guard != nil {
		return info.guard(args)
	}
	return nil
}

func crossErr(name string, p1, p2 int) error {
	return cmdErr(name, ErrCrossPartition,
		"keys in partitions %d and %d; keys used together must share a partition (give them one hash tag, as in {user1}.a and {user1}.b)",
		min(p1, p2), max(p1, p2))
}

// process runs one command: on its partition, or split and merged. On a
// first failure that a failover explains it waits for a newer status and
// tries once more.
func (c *Client) process(ctx context.Context, cmd redis.Cmder, attempt int) error {
	v := c.view(ctx)
	r, err := c.route(v, cmd)
	if err != nil {
		return setErr(cmd, err)
	}
	if v.err != nil {
		return setErr(cmd, v.err)
	}
	if r.part < 0 {
		return c.split(ctx, cmd, r, attempt)
	}
	n, err := v.pick(r.part, r.read(), c.opt.ReplicaReads)
	if err != nil {
		return setErr(cmd, err)
	}
	sent := time.Now()
	if n.cut.Load() != nil {
		cmd.SetErr(errCut) // it goes again, on a newer view
	} else {
		_ = n.client.Process(ctx, cmd)
		if n.cut.Load() != nil {
			cutErr([]redis.Cmder{cmd}, n, r.part)
		}
	}
	nodeErr(cmd, n, r.part)
	if !r.read() && succeeded(cmd) {
		if err := c.deposed(ctx, v, n, sent); err != nil {
			return setErr(cmd, err)
		}
	}
	if attempt > 0 || !failedOver(cmd) {
		return cmd.Err()
	}
	if n != v.parts[r.part].master {
		// A replica failed: the master serves the retry, without waiting.
		if m := v.parts[r.part].master; m != nil {
			cmd.SetErr(nil)
			_ = m.client.Process(ctx, cmd)
			nodeErr(cmd, m, r.part)
			return cmd.Err()
		}
	}
	retry, werr := c.awaitFailover(ctx, v, n)
	if !retry {
		stillFailed(cmd, werr)
		return cmd.Err()
	}
	cmd.SetErr(nil)
	_ = c.process(ctx, cmd, attempt+1)
	stillFailed(cmd, werr)
	return cmd.Err()
}
