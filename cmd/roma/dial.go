package main

import (
	"context"
	"sync"

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

// hostConns dials each host once for the steps of a command that follow
// one another (plan observes the hosts, then has their redis-server check
// the conf files it would write) and keeps the connections until close.
// Not across a wait for approval: a connection idle that long may have
// been dropped on the way.
type hostConns struct {
	dial  func(ctx context.Context, h cluster.Host) (remote.Transport, error)
	mu    sync.Mutex
	conns map[string]remote.Transport
}

func newHostConns(dial func(ctx context.Context, h cluster.Host) (remote.Transport, error)) *hostConns {
	return &hostConns{dial: dial, conns: map[string]remote.Transport{}}
}

// Dial returns h's connection, made on first use; closing it does nothing.
func (c *hostConns) Dial(ctx context.Context, h cluster.Host) (remote.Transport, error) {
	c.mu.Lock()
	t, ok := c.conns[h.Name]
	c.mu.Unlock()
	if ok {
		return keptOpen{t}, nil
	}
	t, err := c.dial(ctx, h)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.conns[h.Name]; ok { // dialled meanwhile
		t.Close()
		return keptOpen{old}, nil
	}
	c.conns[h.Name] = t
	return keptOpen{t}, nil
}

// close closes every connection made.
func (c *hostConns) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, t := range c.conns {
		t.Close()
		delete(c.conns, name)
	}
}

// keptOpen is a hostConns connection: its users' Close leaves it open.
type keptOpen struct{ remote.Transport }

func (keptOpen) Close() error { return nil }

func init() {
	// go-redis logs dial failures to stderr itself; roma reports them in
	// its own words, naming the node.
	redis.SetLogger(quietLogger{})
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}
