package client

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconn/redistest"
	"github.com/roma-redis/roma/status"
)

// TestMasterBackInPlace: a partition's master stops and starts again in
// place (roma start, or its service manager after a crash), before romad
// would fail it over. Commands that found it down waited the whole
// FailoverWait for a failover that was not coming; they now run once it
// answers as master again, a plain command and a pipeline alike. A real
// redis-server; FailoverWait (a minute) outlasts the test.
func TestMasterBackInPlace(t *testing.T) {
	ctx := context.Background()
	st := startServers(t, 1)[0]
	d1 := redistest.Start(t, testPassword)
	done := restartUnder(t, masterStatus("back", 1, masterAt{"d1", d1.Addr}), st, d1,
		func(c *Client) error { return c.Set(ctx, "k", "plain", 0).Err() },
		func(c *Client) error {
			_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "k2", "pipelined", 0)
				return nil
			})
			return err
		})
	for range 2 {
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("a write while its master restarted in place: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("20s after its master was back, a write still waits (FailoverWait is a minute): it waits for a failover that is not coming")
		}
	}
	direct := redis.NewClient(&redis.Options{Addr: d1.Addr, Password: testPassword})
	defer direct.Close()
	if v, err := direct.Get(ctx, "k2").Result(); err != nil || v != "pipelined" {
		t.Errorf("k2 on d1: %q, %v; want the pipelined write", v, err)
	}
	if v, err := direct.Get(ctx, "k").Result(); err != nil || v != "plain" {
		t.Errorf("k on d1: %q, %v; want the plain write", v, err)
	}
}

// TestMasterBackLoading: a master back from a restart in place, loading
// its dataset, answers ROLE but refuses commands (LOADING): the command
// that waited is sent once the load is over, not during it, to fail.
func TestMasterBackLoading(t *testing.T) {
	ctx := context.Background()
	st := startServers(t, 1)[0]
	// key-load-delay: Redis sleeps 20µs per key as it loads them, some
	// seconds for 30 000; it answers between every KB it reads.
	d1 := redistest.Start(t, testPassword, "--enable-debug-command", "yes", "--key-load-delay", "20", "--loading-process-events-interval-bytes", "1024")
	direct := redis.NewClient(&redis.Options{Addr: d1.Addr, Password: testPassword})
	defer direct.Close()
	if err := direct.Do(ctx, "DEBUG", "POPULATE", 30000).Err(); err != nil {
		t.Fatal(err)
	}
	if err := direct.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	done := restartUnder(t, masterStatus("loading", 1, masterAt{"d1", d1.Addr}), st, d1,
		func(c *Client) error { return c.Set(ctx, "k", "after the load", 0).Err() })
	if info, err := direct.Info(ctx, "persistence").Result(); err != nil || !strings.Contains(info, "loading:1") {
		t.Fatalf("d1 is not loading once relaunched (%v): the test shows nothing (make the load slower)", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("a write while its master loaded its data after a restart in place: %v", err)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("40s after its master was back, a write still waits (FailoverWait is a minute)")
	}
	if info, err := direct.Info(ctx, "persistence").Result(); err != nil || !strings.Contains(info, "loading:0") {
		t.Errorf("the write returned while d1 still loads: %v", err)
	}
}

// TestMasterBackWithReplica: a master back from a restart in place whose
// partition has a replica up does not end the wait: romad decides, and
// fails such a master over when it came back behind its replica (restart
// protection). The write waits for that status, and lands on the new
// master d2, not on d1 as it came back, where it would be lost.
func TestMasterBackWithReplica(t *testing.T) {
	ctx := context.Background()
	st := startServers(t, 1)[0]
	d1, d2 := redistest.Start(t, testPassword), redistest.Start(t, testPassword)
	withReplica := func(epoch int64, master, replica masterAt) *status.Status {
		s := masterStatus("replica", epoch, master)
		s.Partitions[0].Replicas = []string{replica.name}
		s.Nodes[replica.name] = status.NodeState{Addr: replica.addr, Partition: 0, Role: "replica", State: status.NodeUp}
		return s
	}
	done := restartUnder(t, withReplica(1, masterAt{"d1", d1.Addr}, masterAt{"d2", d2.Addr}), st, d1,
		func(c *Client) error { return c.Set(ctx, "k", "once failed over", 0).Err() })
	time.Sleep(time.Second) // d1 answers as master all along
	publish(t, withReplica(2, masterAt{"d2", d2.Addr}, masterAt{"d1", d1.Addr}), st)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the write: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("20s after the failover to d2 was published, the write still waits")
	}
	for _, s := range []struct {
		srv  *redistest.Server
		want int64
	}{{d1, 0}, {d2, 1}} {
		direct := redis.NewClient(&redis.Options{Addr: s.srv.Addr, Password: testPassword})
		n, err := direct.Exists(ctx, "k").Result()
		direct.Close()
		if err != nil || n != s.want {
			t.Errorf("k on %s: %d (%v), want %d: the write must wait for romad, not go to d1 as it came back", s.srv.Addr, n, err, s.want)
		}
	}
}

// restartUnder publishes first on the status node st, makes a client of
// its cluster (FailoverWait a minute), kills the master d1, runs each of
// writes on its own goroutine while d1 is down, and relaunches d1 300ms
// later, once they have met the refused dial and wait. Their errors come
// on the channel it returns.
func restartUnder(t *testing.T, first *status.Status, st, d1 *redistest.Server, writes ...func(*Client) error) <-chan error {
	t.Helper()
	publish(t, first, st)
	c, err := New(context.Background(), Options{Cluster: first.Cluster, StatusAddrs: []string{st.Addr}, Password: cluster.NewSecret(testPassword),
		FailoverWait: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	d1.Kill(t)
	done := make(chan error, len(writes))
	for _, w := range writes {
		go func() { done <- w(c) }()
	}
	time.Sleep(300 * time.Millisecond)
	d1.Relaunch(t)
	return done
}
