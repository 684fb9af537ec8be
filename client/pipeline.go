package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// pipeline runs cmds as one pipeline per node, in parallel; commands whose
// keys span partitions are split and merged. Commands that failed in a way
// a failover explains run once more, in a second round, after a newer
// status or FailoverWait.
func (c *Client) pipeline(ctx context.Context, cmds []redis.Cmder, attempt int) {
	v := c.view(ctx)
	st := pipeStates.Get().(*pipeState)
	defer pipeStates.Put(st)
	g := grouper{v: v, nodes: st.nodes[:0], counts: st.counts[:0], part: slices.Grow(st.part[:0], len(v.parts))[:len(v.parts)]}
	clear(g.part)
	// seq holds the commands sent, in order, and grp each one's group (-1:
	// failed before going out). seq is cmds itself until a command is
	// split: from there on it is a copy, with the parts in its place.
	seq, grp := cmds, st.grp[:0]
	copied := false
	raw := false // a RawCmd (a split's part, roma cli's) holds an error reply as its value, not as Err
	type splitJob struct {
		cmd  redis.Cmder
		r    route
		subs []*subCmd
	}
	var splits []splitJob
	var lc lookupCache
	for i, cmd := range cmds {
		r, err := c.routeArgs(v, cmd.Args(), &lc)
		if err == nil {
			err = v.err
		}
		if err == nil && r.part < 0 {
			if !copied {
				seq, copied = append(make([]redis.Cmder, 0, len(cmds)+8), cmds[:i]...), true
			}
			subs := splitCmd(ctx, cmd, r)
			for _, s := range subs {
				n, err := v.pick(s.part, r.read(), c.opt.ReplicaReads)
				if err != nil {
					s.cmd.SetErr(err)
					continue
				}
				seq, grp, raw = append(seq, s.cmd), append(grp, int32(g.group(s.part, n))), true
			}
			splits = append(splits, splitJob{cmd, r, subs})
			continue
		}
		if _, ok := cmd.(*redis.RawCmd); ok {
			raw = true
		}
		if copied {
			seq = append(seq, cmd)
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
		grp = append(grp, int32(g.group(r.part, n)))
	}
	// Each node's commands, in the order they came, in one slice.
	all := slices.Grow(st.all[:0], len(seq))[:len(seq)]
	groups := make([][]redis.Cmder, len(g.nodes))
	off := 0
	for i, k := range g.counts {
		groups[i] = all[off : off : off+k]
		off += k
	}
	for i, gi := range grp {
		if gi >= 0 {
			groups[gi] = append(groups[gi], seq[i])
		}
	}
	errs := slices.Grow(st.errs[:0], len(g.nodes))[:len(g.nodes)]
	run := func(i int) {
		if g.nodes[i].cut.Load() != nil {
			for _, cmd := range groups[i] {
				cmd.SetErr(errCut) // they go again, on a newer view
			}
			errs[i] = errCut
			return
		}
		p := g.nodes[i].client.Pipeline()
		_ = p.BatchProcess(ctx, groups[i]...)
		_, errs[i] = p.Exec(ctx) // a failed connection fails every command (redisconn)
		if errs[i] != nil {
			p := g.partOf(i)
			for _, cmd := range groups[i] {
				nodeErr(cmd, g.nodes[i], p)
			}
		}
	}
	var wg sync.WaitGroup
	sent := time.Now()
	for i := 1; i < len(g.nodes); i++ {
		wg.Go(func() { run(i) })
	}
	if len(g.nodes) > 0 {
		run(0)
	}
	wg.Wait()
	for i, n := range g.nodes {
		if errs[i] != nil && errs[i] != errCut && n.cut.Load() != nil {
			cutErr(groups[i], n, g.partOf(i)) // romad deposed n while they were out
		}
	}
	cur := c.viewAfter(ctx, v, sent) // once: every node's replies are in
	for i, n := range g.nodes {
		if err := deposedIn(v, cur, n); err != nil {
			for _, cmd := range groups[i] {
				if succeeded(cmd) && writes(cmd) {
					cmd.SetErr(err)
				}
			}
		}
	}
	// Failed-over commands are looked for only when a node's pipeline had
	// an error, or a reply may hold one.
	if attempt == 0 && (raw || slices.ContainsFunc(errs, func(err error) bool { return err != nil })) {
		var again []redis.Cmder
		var failed []*node
		for i, cmd := range seq {
			if grp[i] >= 0 && failedOver(cmd) {
				again = append(again, cmd)
				if n := g.nodes[grp[i]]; !slices.Contains(failed, n) {
					failed = append(failed, n)
				}
			}
		}
		if len(again) > 0 {
			retry, werr := c.awaitFailover(ctx, v, failed...)
			if retry {
				for _, cmd := range again {
					cmd.SetErr(nil)
				}
				c.pipeline(ctx, again, 1)
			}
			for _, cmd := range again {
				stillFailed(cmd, werr)
			}
		}
	}
	for _, j := range splits {
		_ = merge(j.cmd, j.r, j.subs)
	}
	// Back to the pool, holding on to no command or node.
	clear(all)
	clear(g.nodes)
	clear(errs)
	st.grp, st.all, st.nodes, st.counts, st.errs, st.part = grp[:0], all[:0], g.nodes[:0], g.counts[:0], errs[:0], g.part
}

// pipeState is the working memory of pipeline, kept between calls.
type pipeState struct {
	grp    []int32
	all    []redis.Cmder
	nodes  []*node
	counts []int
	errs   []error
	part   []int32
}

var pipeStates = sync.Pool{New: func() any { return new(pipeState) }}

// grouper gathers a pipeline's commands into one group per node: a
// partition's master by a slice indexed by partition, a node that serves
// several partitions, or a replica, by a search of the few groups.
type grouper struct {
	v      *view
	nodes  []*node
	counts []int   // commands per group
	part   []int32 // group index + 1 of each partition's master
}

// group counts one more command of partition p for n and returns n's group.
func (g *grouper) group(p int, n *node) int {
	master := n == g.v.parts[p].master
	if master && g.part[p] > 0 {
		i := int(g.part[p]) - 1
		g.counts[i]++
		return i
	}
	i := slices.Index(g.nodes, n)
	if i < 0 {
		i = len(g.nodes)
		g.nodes = append(g.nodes, n)
		g.counts = append(g.counts, 0)
	}
	if master {
		g.part[p] = int32(i) + 1
	}
	g.counts[i]++
	return i
}

// partOf returns the partition group i serves as master, or -1 when it
// serves none or several (a node may hold several partitions' databases).
func (g *grouper) partOf(i int) int {
	p := -1
	for q, gi := range g.part {
		if int(gi) == i+1 {
			if p >= 0 {
				return -1
			}
			p = q
		}
	}
	return p
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
	var werr error // why no newer status came after the first attempt
	for attempt := 0; ; attempt++ {
		v := c.view(ctx)
		part, err := c.txPartition(v, inner)
		if err != nil {
			return fail(err)
		}
		n, err := v.pick(part, false, false)
		if err != nil {
			return fail(err)
		}
		sent := time.Now()
		if n.cut.Load() != nil {
			err = errCut // it goes again, on a newer view
		} else {
			_, err = n.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
				for _, cmd := range inner {
					_ = p.Process(ctx, cmd)
				}
				return nil
			})
			if err = txCutErr(err, n, part, inner); errors.Is(err, ErrDeposed) {
				return fail(err)
			}
		}
		if err != nil {
			for _, cmd := range inner {
				nodeErr(cmd, n, part)
			}
			err = nodeError(err, n, part)
		}
		stale := func() error {
			for _, cmd := range inner {
				stillFailed(cmd, werr)
			}
			return stillFailedErr(err, werr)
		}
		if err == nil && slices.ContainsFunc(inner, writes) {
			if err = c.deposed(ctx, v, n, sent); err != nil {
				return fail(err)
			}
		}
		if attempt > 0 || !txFailedOver(err, inner) {
			return stale()
		}
		var retry bool
		if retry, werr = c.awaitFailover(ctx, v, n); !retry {
			return stale()
		}
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
