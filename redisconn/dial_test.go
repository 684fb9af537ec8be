package redisconn_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/redisconn/redistest"
)

// TestBackAtOnce: a client whose node was down for many commands reaches
// it with its first command once the node is back, by a plain command and
// by a pipeline (romad's probes are pipelines). go-redis's pool alone,
// after PoolSize failed dials in a row, answers with the last dial error
// without dialling until its background probe, once a second, gets
// through: romad saw a restored master down for that long and declared
// its partition in HALT. While the node is down, every command still
// fails with the dial's error.
func TestBackAtOnce(t *testing.T) {
	const password = "back-at-once"
	for _, tc := range []struct {
		name string
		opts func(addr string) *redis.Options
	}{
		{"plain", func(addr string) *redis.Options { return redisconn.Options(addr, password, time.Second, 2) }},
		{"during a password rotation", func(addr string) *redis.Options {
			return redisconn.WithPrevious(redisconn.Options(addr, password, time.Second, 2), "the-old-one")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := redistest.Start(t, password)
			c := redisconn.NewClient(tc.opts(s.Addr))
			defer c.Close()
			ping := func() error { return c.Ping(ctx).Err() }
			pipe := func() error {
				_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
					p.Ping(ctx)
					p.Info(ctx, "replication")
					return nil
				})
				return err
			}
			for name, f := range map[string]func() error{"PING": ping, "pipeline": pipe} {
				if err := f(); err != nil {
					t.Fatalf("%s before the node goes down: %v", name, err)
				}
			}
			s.Kill(t)
			// More failures than either pool of the client holds
			// connections (PoolSize 2, go-redis's pipeline pool 10).
			for i := range 25 {
				for name, f := range map[string]func() error{"PING": ping, "pipeline": pipe} {
					err := f()
					var op *net.OpError
					if !errors.As(err, &op) || op.Op != "dial" || !strings.HasPrefix(err.Error(), "dial tcp "+s.Addr+": ") {
						t.Fatalf("%s %d while the node is down: %v (%T), want the dial's error", name, i+1, err, err)
					}
				}
			}
			s.Relaunch(t)
			start := time.Now()
			if err := ping(); err != nil {
				t.Errorf("first PING once the node is back (%s after it accepted a connection): %v", time.Since(start), err)
			}
			if err := pipe(); err != nil {
				t.Errorf("first pipeline once the node is back: %v", err)
			}
		})
	}
}
