package main

import (
	"context"

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

func init() {
	// go-redis logs dial failures to stderr itself; roma reports them in
	// its own words, naming the node.
	redis.SetLogger(quietLogger{})
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}
