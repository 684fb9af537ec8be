package client

import (
	"context"
	"fmt"
	"sync"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/client/resp"
)

// subCmd is the part of a split command that goes to one partition.
type subCmd struct {
	part int
	args []any
	cmd  *redis.RawCmd
	idx  []int // the indexes (in key order) of the keys it carries
}

// splitCmd splits cmd, whose keys span partitions, into one command per
// partition; keys keep their order within each.
func splitCmd(ctx context.Context, cmd redis.Cmder, r route) []*subCmd {
	args := cmd.Args()
	byPart := map[int]*subCmd{}
	var subs []*subCmd
	for i, k := range r.keys {
		p := r.kparts[i]
		s, ok := byPart[p]
		if !ok {
			s = &subCmd{part: p, args: []any{args[0]}}
			byPart[p] = s
			subs = append(subs, s)
		}
		s.idx = append(s.idx, i)
		s.args = append(s.args, args[k])
		if r.info.flags&splitPairs != 0 {
			s.args = append(s.args, args[k+1])
		}
	}
	for _, s := range subs {
		s.cmd = redis.NewRawCmd(ctx, s.args...)
	}
	return subs
}

// split runs a command whose keys span partitions as one command per
// partition, in parallel, and merges their replies into cmd.
func (c *Client) split(ctx context.Context, cmd redis.Cmder, r route, attempt int) error {
	subs := splitCmd(ctx, cmd, r)
	var wg sync.WaitGroup
	for _, s := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.process(ctx, s.cmd, attempt)
		}()
	}
	wg.Wait()
	return merge(cmd, r, subs)
}

// merge puts the merged replies of subs into cmd: MGET's values in key
// order, the sum of DEL's and EXISTS's counts, OK for MSET. The first
// error, in partition order of the keys, wins.
func merge(cmd redis.Cmder, r route, subs []*subCmd) error {
	vals := make([]resp.Value, len(subs))
	for i, s := range subs {
		raw, err := s.cmd.Result()
		if err != nil {
			return setErr(cmd, InPartition(s.part, err))
		}
		if vals[i], err = resp.Parse(raw); err != nil {
			return setErr(cmd, fmt.Errorf("partition %d: %w", s.part, err))
		}
		if vals[i].IsError() {
			return deliver(cmd, vals[i])
		}
	}
	var out resp.Value
	switch f := r.info.flags; {
	case f&splitOrdered != 0:
		out = resp.Value{Type: resp.Array, Elems: make([]resp.Value, len(r.keys))}
		for i, s := range subs {
			if len(vals[i].Elems) != len(s.idx) {
				return setErr(cmd, fmt.Errorf("partition %d: %d values for %d keys", s.part, len(vals[i].Elems), len(s.idx)))
			}
			for j, k := range s.idx {
				out.Elems[k] = vals[i].Elems[j]
			}
		}
	case f&splitSum != 0:
		out = resp.Int(0)
		for _, v := range vals {
			out.Int += v.Int
		}
	default:
		out = resp.Status("OK")
	}
	return deliver(cmd, out)
}

// deliver sets cmd's reply to v, in the form cmd's type holds.
func deliver(cmd redis.Cmder, v resp.Value) error {
	if raw, ok := cmd.(*redis.RawCmd); ok {
		raw.SetVal(v.Append(nil))
		return nil
	}
	if v.IsError() {
		return setErr(cmd, redisError(v.Str))
	}
	switch c := cmd.(type) {
	case *redis.Cmd:
		c.SetVal(toAny(v))
	case *redis.SliceCmd:
		c.SetVal(toAny(v).([]any))
	case *redis.IntCmd:
		c.SetVal(v.Int)
	case *redis.StatusCmd:
		c.SetVal(v.Str)
	default:
		return setErr(cmd, fmt.Errorf("client: cannot merge the replies of %s into a %T", cmd.Name(), cmd))
	}
	return nil
}

// toAny converts v as go-redis's Cmd holds replies.
func toAny(v resp.Value) any {
	switch {
	case v.Nil:
		return nil
	case v.IsError():
		return redisError(v.Str)
	}
	switch v.Type {
	case resp.Integer:
		return v.Int
	case resp.Array, resp.Set, resp.Push:
		out := make([]any, len(v.Elems))
		for i, e := range v.Elems {
			out[i] = toAny(e)
		}
		return out
	}
	return v.Str
}
