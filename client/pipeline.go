package client

import (
	"context"
	"fmt"
	"slices"
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
	if c.pipelineFast(ctx, v, cmds, attempt) {
		return
	}
	// Each command sent is kept, in order, with the index of its node's
	// group; groups are found by partition (a slice), and a node that
	// serves several partitions, or a replica, by a search of the few
	// groups.
	type sentCmd struct {
		cmd   redis.Cmder
		group int
	}
	var (
		nodes   []*node
		counts  []int
		partGrp = make([]int, len(v.parts)) // group index + 1 of each partition's master
		sent    = make([]sentCmd, 0, len(cmds))
	)
	add := func(p int, n *node, cmd redis.Cmder) {
		master := n == v.parts[p].master
		if master {
			if g := partGrp[p]; g > 0 {
				counts[g-1]++
				sent = append(sent, sentCmd{cmd, g - 1})
				return
			}
		}
		g := -1
		for i, m := range nodes {
			if m == n {
				g = i
				break
			}
		}
		if g < 0 {
			g = len(nodes)
			nodes = append(nodes, n)
			counts = append(counts, 0)
		}
		if master {
			partGrp[p] = g + 1
		}
		counts[g]++
		sent = append(sent, sentCmd{cmd, g})
	}
	type splitJob struct {
		cmd  redis.Cmder
		r    route
		subs []*subCmd
	}
	var splits []splitJob
	var lc lookupCache
	for _, cmd := range cmds {
		r, err := c.routeArgs(v, cmd.Args(), &lc)
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
			add(r.part, n, cmd)
			continue
		}
		subs := splitCmd(ctx, cmd, r)
		for _, s := range subs {
			if n, err := v.pick(s.part, r.read(), c.opt.ReplicaReads); err != nil {
				s.cmd.SetErr(err)
			} else {
				add(s.part, n, s.cmd)
			}
		}
		splits = append(splits, splitJob{cmd, r, subs})
	}
	// Lay the groups out in one slice, each in the order its commands came.
	all := make([]redis.Cmder, len(sent))
	groups := make([][]redis.Cmder, len(nodes))
	off := 0
	for g, k := range counts {
		groups[g] = all[off : off : off+k]
		off += k
	}
	for _, s := range sent {
		groups[s.group] = append(groups[s.group], s.cmd)
	}
	run := func(n *node, group []redis.Cmder) {
		p := n.client.Pipeline()
		_ = p.BatchProcess(ctx, group...)
		_, _ = p.Exec(ctx) // a failed connection fails every command (redisconn)
	}
	var wg sync.WaitGroup
	for g := 1; g < len(nodes); g++ {
		wg.Go(func() { run(nodes[g], groups[g]) })
	}
	if len(nodes) > 0 {
		run(nodes[0], groups[0])
	}
	wg.Wait()
	if attempt == 0 {
		var again []redis.Cmder
		for _, s := range sent {
			if failedOver(s.cmd) {
				s.cmd.SetErr(nil)
				again = append(again, s.cmd)
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

// fastPipe is the working memory of pipelineFast, kept between calls.
type fastPipe struct {
	grp   []int32 // each command's group, -1 when it failed before going out
	all   []redis.Cmder
	nodes []*node
	count []int
	errs  []error
	part  []int32 // group index + 1 of each partition's master
}

var fastPipes = sync.Pool{New: func() any { return new(fastPipe) }}

// pipelineFast is pipeline for the common case, where every command goes
// whole to one node: it routes the commands once, lays each node's out in
// one reused slice, and looks for failed-over commands only when a node's
// pipeline had an error. It returns false, having sent nothing, when a
// command must be split across partitions: pipeline's general path then
// routes them all again.
func (c *Client) pipelineFast(ctx context.Context, v *view, cmds []redis.Cmder, attempt int) bool {
	st := fastPipes.Get().(*fastPipe)
	defer fastPipes.Put(st)
	grp, nodes, count := st.grp[:0], st.nodes[:0], st.count[:0]
	part := slices.Grow(st.part[:0], len(v.parts))[:len(v.parts)]
	clear(part)
	defer func() {
		clear(nodes)
		st.grp, st.nodes, st.count, st.part = grp, nodes[:0], count, part
	}()
	var lc lookupCache
	raw := false // a RawCmd holds an error reply as its value, not as Err
	for _, cmd := range cmds {
		r, err := c.routeArgs(v, cmd.Args(), &lc)
		if err == nil {
			err = v.err
		}
		if err == nil && r.part < 0 {
			return false
		}
		if _, ok := cmd.(*redis.RawCmd); ok {
			raw = true
		}
		var n *node
		if err == nil {
			n, err = v.pick(r.part, r.read(), c.opt.ReplicaReads)
		}
		if err != nil {
			cmd.SetErr(err)
			grp = append(grp, -1)
			continue
		}
		g := -1
		master := n == v.parts[r.part].master
		if master && part[r.part] > 0 {
			g = int(part[r.part]) - 1
		} else {
			for i, m := range nodes {
				if m == n {
					g = i
					break
				}
			}
			if g < 0 {
				g = len(nodes)
				nodes = append(nodes, n)
				count = append(count, 0)
			}
			if master {
				part[r.part] = int32(g) + 1
			}
		}
		count[g]++
		grp = append(grp, int32(g))
	}
	// Each node's commands, in the order they came, in one slice.
	all := st.all[:0]
	if cap(all) < len(cmds) {
		all = make([]redis.Cmder, 0, len(cmds))
	}
	all = all[:len(cmds)]
	groups := make([][]redis.Cmder, len(nodes))
	off := 0
	for g, k := range count {
		groups[g] = all[off : off : off+k]
		off += k
	}
	for i, g := range grp {
		if g >= 0 {
			groups[g] = append(groups[g], cmds[i])
		}
	}
	errs := slices.Grow(st.errs[:0], len(nodes))[:len(nodes)]
	run := func(g int) {
		p := nodes[g].client.Pipeline()
		_ = p.BatchProcess(ctx, groups[g]...)
		_, errs[g] = p.Exec(ctx) // a failed connection fails every command (redisconn)
	}
	var wg sync.WaitGroup
	for g := 1; g < len(nodes); g++ {
		wg.Go(func() { run(g) })
	}
	if len(nodes) > 0 {
		run(0)
	}
	wg.Wait()
	clear(all)
	st.all, st.errs = all[:0], errs[:0]
	failed := raw
	for _, err := range errs {
		failed = failed || err != nil
	}
	clear(errs)
	if attempt == 0 && failed {
		var again []redis.Cmder
		for i, cmd := range cmds {
			if grp[i] >= 0 && failedOver(cmd) {
				cmd.SetErr(nil)
				again = append(again, cmd)
			}
		}
		if len(again) > 0 {
			c.w.waitNewer(ctx, v.epoch, c.opt.FailoverWait)
			c.pipeline(ctx, again, 1)
		}
	}
	return true
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
