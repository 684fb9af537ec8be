package main

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/remote"
)

// dialer returns how roma reaches hosts (see remote.Dial); trustNew
// records the keys of hosts not yet in known_hosts.
func dialer(trustNew bool) func(ctx context.Context, h cluster.Host) (remote.Transport, error) {
	return func(ctx context.Context, h cluster.Host) (remote.Transport, error) {
		return remote.Dial(ctx, h, remote.DialOptions{TrustNew: trustNew})
	}
}

// sharedConns dials each host of spec once, through a remote.Pool, for
// the steps of a command that follow one another (plan observes the hosts,
// then has their redis-server check the conf files it would write); the
// transports it hands out ignore Close, and closeAll closes them all.
func sharedConns(spec *cluster.Spec, dial func(ctx context.Context, h cluster.Host) (remote.Transport, error)) (shared func(ctx context.Context, h cluster.Host) (remote.Transport, error), closeAll func()) {
	pool := remote.NewPool(func(ctx context.Context, host string) (remote.Transport, error) {
		h, ok := spec.Host(host)
		if !ok {
			return nil, fmt.Errorf("host %s is not in roma.hcl", host)
		}
		return dial(ctx, h)
	})
	shared = func(ctx context.Context, h cluster.Host) (remote.Transport, error) {
		t, err := pool.Get(ctx, h.Name)
		if err != nil {
			return nil, err
		}
		return keptOpen{t}, nil
	}
	return shared, func() { pool.Close() }
}

// keptOpen is a pooled connection: its users' Close leaves it open.
type keptOpen struct{ remote.Transport }

func (keptOpen) Close() error { return nil }

func init() {
	// go-redis logs dial failures to stderr itself; roma reports them in
	// its own words, naming the node.
	redis.SetLogger(quietLogger{})
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}
