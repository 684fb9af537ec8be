package main

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/client"
	"github.com/roma-redis/roma/client/resp"
)

// execAll runs a command on every partition's master (--all): merged into
// one reply where that is meaningful, else one reply per partition.
func (ss *cliSession) execAll(args []string) (cliResult, error) {
	name := strings.ToLower(args[0])
	if err := client.Check(toArgs(args)...); err != nil {
		return cliResult{}, err
	}
	if _, err := ss.c.Status(); err != nil {
		return cliResult{}, err
	}
	if name == "flushall" || name == "flushdb" {
		if err := ss.confirmFlush(strings.ToUpper(name)); err != nil {
			return cliResult{}, err
		}
	}
	n := ss.c.Partitions()
	parts := make([]partReply, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for p := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[p].Partition = p
			parts[p].Node, errs[p] = ss.c.Master(p)
			if errs[p] != nil {
				return
			}
			if name == "scan" {
				parts[p].Reply, errs[p] = ss.scanPartition(p, args)
				return
			}
			ctx, cancel, wait := ss.cmdCtx(args)
			defer cancel()
			cmd := redis.NewRawCmd(ctx, toArgs(args)...)
			if errs[p] = ss.c.ProcessPartition(ctx, p, cmd); errs[p] == nil {
				parts[p].Reply, errs[p] = resp.Parse(cmd.Val())
			}
			errs[p] = waited(ctx, errs[p], wait)
		}()
	}
	wg.Wait()
	for p, err := range errs {
		if err != nil {
			return cliResult{}, client.InPartition(p, err)
		}
	}
	if !ss.o.perPartition {
		if v, ok := mergeAll(name, parts); ok {
			return cliResult{reply: v}, nil
		}
	}
	return cliResult{parts: parts}, nil
}

func (ss *cliSession) confirmFlush(name string) error {
	if ss.o.yes {
		return nil
	}
	if ss.confirm == nil {
		return fmt.Errorf("%s --all asks for confirmation, and standard input holds the commands: run again with --yes", name)
	}
	st, _ := ss.c.Status()
	q := fmt.Sprintf("%s deletes every key on every master of cluster %q (%d partitions).\nOnly 'yes' will be accepted to go on: ", name, st.Cluster, ss.c.Partitions())
	if !ss.confirm(q) {
		return fmt.Errorf("%s %w", name, errNotConfirmed)
	}
	return nil
}

// scanPartition runs SCAN on partition p from the cursor in args to the
// end, and returns every key it found.
func (ss *cliSession) scanPartition(p int, args []string) (resp.Value, error) {
	a := append([]string(nil), args...)
	keys := resp.Arr()
	for {
		ctx, cancel := context.WithTimeout(ss.ctx, ss.o.timeout)
		cmd := redis.NewRawCmd(ctx, toArgs(a)...)
		err := ss.c.ProcessPartition(ctx, p, cmd)
		cancel()
		if err != nil {
			return resp.Value{}, waited(ctx, err, ss.o.timeout)
		}
		v, err := resp.Parse(cmd.Val())
		if err != nil || v.IsError() {
			return v, err
		}
		if len(v.Elems) != 2 {
			return resp.Value{}, fmt.Errorf("SCAN replied %d elements, not 2", len(v.Elems))
		}
		keys.Elems = append(keys.Elems, v.Elems[1].Elems...)
		if v.Elems[0].Str == "0" {
			return keys, nil
		}
		a[1] = v.Elems[0].Str
	}
}

// mergeAll merges the partitions' replies of the commands that have one
// meaningful merged reply: DBSIZE's sum, KEYS's and SCAN's keys, and
// PING's, FLUSHALL's and FLUSHDB's one answer. An error reply anywhere
// leaves them per partition.
func mergeAll(name string, parts []partReply) (resp.Value, bool) {
	for _, p := range parts {
		if p.Reply.IsError() {
			return resp.Value{}, false
		}
	}
	switch name {
	case "dbsize":
		sum := resp.Int(0)
		for _, p := range parts {
			sum.Int += p.Reply.Int
		}
		return sum, true
	case "keys", "scan":
		all := resp.Arr()
		for _, p := range parts {
			all.Elems = append(all.Elems, p.Reply.Elems...)
		}
		return all, true
	case "ping", "flushall", "flushdb":
		first := parts[0].Reply
		for _, p := range parts[1:] {
			if p.Reply.Str != first.Str || p.Reply.Type != first.Type {
				return resp.Value{}, false
			}
		}
		return first, true
	}
	return resp.Value{}, false
}
