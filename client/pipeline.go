package client

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// pipeline runs cmds as one pipeline per node, in parallel; commands whose
// keys span partitions are split and merged. Commands that failed in a way
// a failover explains run once more, in a second round, after a newer
// status or FailoverWait.
func (c *Client) pipeline(ctx context.Context, cmds []redis.Cmder, attempt int) {
	v := c.w.view()
	groups := map[*node][]redis.Cmder{}
	var order []*node
	add := func(n *node, cmd redis.Cmder) {
		if _, ok := groups[n]; !ok {
			order = append(order, n)
		}
		groups[n] = append(groups[n], cmd)
	}
	type splitJob struct {
		cmd  redis.Cmder
		r    route
		subs []*subCmd
	}
	var splits []splitJob
	var sent []redis.Cmder
	for _, cmd := range cmds {
		r, err := c.route(v, cmd)
		if err == nil {
			err = v.err
		}
		if err != nil {
			cmd.SetErr(err)
			continue
		}
		if r.part >= 0 {
			n, err := v.pick(r.part, r.read(), c.opt.ReplicaReads)
			if err != nil {
				cmd.SetErr(err)
				continue
			}
			add(n, cmd)
			sent = append(sent, cmd)
			continue
		}
		subs := splitCmd(ctx, cmd, r)
		for _, s := range subs {
			if n, err := v.pick(s.part, r.read(), c.opt.ReplicaReads); err != nil {
				s.cmd.SetErr(err)
			} else {
				add(n, s.cmd)
				sent = append(sent, s.cmd)
			}
		}
		splits = append(splits, splitJob{cmd, r, subs})
	}
	var wg sync.WaitGroup
	for _, n := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = n.client.Pipelined(ctx, func(p redis.Pipeliner) error {
				for _, cmd := range groups[n] {
					_ = p.Process(ctx, cmd)
				}
				return nil
			})
		}()
	}
	wg.Wait()
	if attempt == 0 {
		var again []redis.Cmder
		for _, cmd := range sent {
			if failedOver(cmd) {
				cmd.SetErr(nil)
				again = append(again, cmd)
			}
		}
		if len(again) > 0 {
			c.w.waitNewer(ctx, v.epoch, c.opt.FailoverWait)
			c.pipeline(ctx, again, 1)
		}
	}
	for _, j := range splits {
		_ = merge(j.cmd, j.r, j.subs)
	}
}

// isTx reports whether cmds are a transaction: go-redis's TxPipeline
// wraps its commands in MULTI and EXEC.
func isTx(cmds []redis.Cmder) bool {
	return len(cmds) >= 2 && cmds[0].Name() == "multi" && cmds[len(cmds)-1].Name() == "exec"
}

// processTx runs a transaction (MULTI, commands, EXEC) on the master of
// the one partition every command's keys are in, and refuses it when they
// are in several.
func (c *Client) processTx(ctx context.Context, cmds []redis.Cmder) error {
	inner := cmds[1 : len(cmds)-1]
	fail := func(err error) error {
		for _, cmd := range cmds {
			cmd.SetErr(err)
		}
		return err
	}
	for attempt := 0; ; attempt++ {
		v := c.w.view()
		part, err := c.txPartition(v, inner)
		if err != nil {
			return fail(err)
		}
		n, err := v.pick(part, false, false)
		if err != nil {
			return fail(err)
		}
		_, err = n.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
			for _, cmd := range inner {
				_ = p.Process(ctx, cmd)
			}
			return nil
		})
		if attempt > 0 || !txFailedOver(err, inner) {
			return err
		}
		c.w.waitNewer(ctx, v.epoch, c.opt.FailoverWait)
		for _, cmd := range inner {
			cmd.SetErr(nil)
		}
	}
}

// txPartition returns the one partition of a transaction's commands.
func (c *Client) txPartition(v *view, cmds []redis.Cmder) (int, error) {
	part := -1
	var names []string
	for _, cmd := range cmds {
		r, err := c.route(v, cmd)
		if err != nil {
			return 0, err
		}
		names = append(names, strings.ToUpper(r.name))
		if r.part < 0 {
			return 0, cmdErr("MULTI", ErrCrossPartition, "%s has keys in partitions %d and %d; a transaction runs on one partition (give its keys one hash tag, as in {user1}.a and {user1}.b)",
				strings.ToUpper(r.name), r.kparts[0], otherPart(r.kparts))
		}
		if part >= 0 && r.part != part {
			return 0, cmdErr("MULTI", ErrCrossPartition, "%s is in partition %d but %s in partition %d; a transaction runs on one partition (give its keys one hash tag, as in {user1}.a and {user1}.b)",
				names[0], part, names[len(names)-1], r.part)
		}
		part = r.part
	}
	if part < 0 {
		return 0, fmt.Errorf("client: empty transaction")
	}
	return part, nil
}

func otherPart(ps []int) int {
	for _, p := range ps {
		if p != ps[0] {
			return p
		}
	}
	return ps[0]
}

// txFailedOver reports whether a transaction failed, unexecuted, in a way
// a failover explains: its connection failed, or it was aborted after a
// command was refused with READONLY or LOADING.
func txFailedOver(err error, cmds []redis.Cmder) bool {
	if err == nil {
		return false
	}
	if isFailover(err) {
		return true
	}
	if !redis.IsExecAbortError(err) && !strings.HasPrefix(err.Error(), "EXECABORT") {
		return false
	}
	for _, cmd := range cmds {
		if failedOver(cmd) {
			return true
		}
	}
	return false
}
