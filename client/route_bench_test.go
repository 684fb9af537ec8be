package client

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// BenchmarkRouteArgs: routing one pipelined GET (what a pipeline of
// single-key commands costs per command before it goes out), one
// lookupCache per pipeline of 1000, as pipeline has.
func BenchmarkRouteArgs(b *testing.B) {
	v := testView(b)
	c := &Client{}
	ctx := context.Background()
	cmds := make([]redis.Cmder, 1000)
	for i := range cmds {
		cmds[i] = redis.NewStringCmd(ctx, "get", fmt.Sprintf("key:%09d", i))
	}
	var lc lookupCache
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%len(cmds) == 0 {
			lc = lookupCache{}
		}
		cmd := cmds[i%len(cmds)]
		if _, err := c.routeArgs(v, cmd.Args(), &lc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRoutePipeline: routing a pipeline of 1000 SETs just built, as
// an application builds them (with the cache as that leaves it); ns per
// command.
func BenchmarkRoutePipeline(b *testing.B) {
	v := testView(b)
	c := &Client{}
	ctx := context.Background()
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprintf("key:%09d", i)
	}
	val := strings.Repeat("v", 32)
	var took time.Duration
	for b.Loop() {
		p := redis.NewClient(&redis.Options{}).Pipeline()
		for _, k := range keys {
			p.Set(ctx, k, val, 0)
		}
		start := time.Now()
		var lc lookupCache
		for _, cmd := range p.Cmds() {
			if _, err := c.routeArgs(v, cmd.Args(), &lc); err != nil {
				b.Fatal(err)
			}
		}
		took += time.Since(start)
	}
	b.ReportMetric(float64(took.Nanoseconds())/float64(b.N*len(keys)), "ns/cmd")
}
