package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/providers/hash"
)

// BenchmarkPipelineOverhead: pipelines of 1000 SETs, or of 1000 GETs of
// missing keys, to 4 partitions on real redis-servers, sent by roma's
// client, and by go-redis straight to the masters with the commands
// pre-grouped and added to each master's pipeline by one goroutine (what
// roma's client does, less the routing): the difference is what routing,
// grouping and reading the replies' errors cost (go test -cpuprofile shows
// where).
func BenchmarkPipelineOverhead(b *testing.B) {
	ctx := context.Background()
	servers := startServers(b, 5) // the status node, then a master per partition
	st := servers[0]
	var masters []*redis.Client
	var at []masterAt
	for p, d := range servers[1:] {
		at = append(at, masterAt{fmt.Sprintf("m%d", p), d.Addr})
		m := redis.NewClient(&redis.Options{Addr: d.Addr, Password: testPassword, Protocol: 2, DisableIdentity: true})
		b.Cleanup(func() { m.Close() })
		masters = append(masters, m)
	}
	publish(b, masterStatus("bench", 1, at...), st)
	c, err := New(ctx, Options{Cluster: "bench", StatusAddrs: []string{st.Addr}, Password: cluster.NewSecret(testPassword)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })

	keys := make([]string, 1000)
	part := make([]int, len(keys))
	f, _ := hash.New("jump")
	for i := range keys {
		keys[i] = fmt.Sprintf("key:%09d", i)
		part[i], _ = f.Partition([]byte(keys[i]), 4)
	}
	val := strings.Repeat("v", 32)
	ops := []struct {
		name string
		add  func(redis.Pipeliner, string)
	}{
		{"SET", func(p redis.Pipeliner, k string) { p.Set(ctx, k, val, 0) }},
		// Keys never set: every reply is redis.Nil, as a cache's misses are.
		{"GET-miss", func(p redis.Pipeliner, k string) { p.Get(ctx, "miss:"+k) }},
	}
	for _, op := range ops {
		b.Run("roma/"+op.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
					for _, k := range keys {
						op.add(p, k)
					}
					return nil
				}); err != nil && !errors.Is(err, redis.Nil) {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(keys)), "ns/cmd")
		})
		b.Run("direct-1b/"+op.name, func(b *testing.B) {
			for b.Loop() {
				pipes := make([]redis.Pipeliner, len(masters))
				for i, m := range masters {
					pipes[i] = m.Pipeline()
				}
				for i, k := range keys {
					op.add(pipes[part[i]], k)
				}
				var wg sync.WaitGroup
				for _, p := range pipes[1:] {
					wg.Go(func() { _, _ = p.Exec(ctx) })
				}
				if _, err := pipes[0].Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
					b.Fatal(err)
				}
				wg.Wait()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(keys)), "ns/cmd")
		})
	}
}
