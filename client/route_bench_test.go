package client

import (
	"context"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"
)

// BenchmarkRouteArgs: routing one pipelined GET (what a pipeline of
// single-key commands costs per command before it goes out).
func BenchmarkRouteArgs(b *testing.B) {
	v := testView(b)
	c := &Client{}
	ctx := context.Background()
	cmds := make([]redis.Cmder, 1000)
	for i := range cmds {
		cmds[i] = redis.NewStringCmd(ctx, "get", fmt.Sprintf("key:%09d", i))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var lc lookupCache
		cmd := cmds[i%len(cmds)]
		if _, err := c.routeArgs(v, cmd.Args(), &lc); err != nil {
			b.Fatal(err)
		}
	}
}
