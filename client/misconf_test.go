package client

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconn/redistest"
)

// TestMisconfRetried: a master that cannot save (its snapshot failed: here
// its directory removed; a full disk does the same) refuses every write
// with MISCONF, and PING, so romad fails it over. Those writes were not
// executed: the client waits for the failover, as after READONLY, and
// sends them to the new master. None fails, in plain commands and in
// pipelines. Real redis-servers; the failover published by hand, as
// romad would.
func TestMisconfRetried(t *testing.T) {
	ctx := context.Background()
	st := startServers(t, 1)[0]
	d1 := redistest.Start(t, testPassword, "--save", "3600 1")
	d2 := redistest.Start(t, testPassword)
	publish(t, masterStatus("misconf", 1, masterAt{"d1", d1.Addr}), st)
	c, err := New(ctx, Options{Cluster: "misconf", StatusAddrs: []string{st.Addr}, Password: cluster.NewSecret(testPassword),
		FailoverWait: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	direct := redis.NewClient(&redis.Options{Addr: d1.Addr, Password: testPassword})
	defer direct.Close()
	if err := os.RemoveAll(d1.Dir); err != nil {
		t.Fatal(err)
	}
	if err := direct.BgSave(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if err := direct.Set(ctx, "probe", 1, 0).Err(); err != nil && strings.HasPrefix(err.Error(), "MISCONF") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("d1 takes writes 10s after its snapshot failed")
		}
	}

	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []error
	fail := func(err error) {
		if err != nil {
			mu.Lock()
			failed = append(failed, err)
			mu.Unlock()
		}
	}
	wg.Go(func() { fail(c.Set(ctx, "plain", "v", 0).Err()) })
	wg.Go(func() {
		cmds, _ := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "piped", "v", 0)
			p.Incr(ctx, "counter")
			return nil
		})
		for _, cmd := range cmds {
			fail(cmd.Err())
		}
	})
	time.Sleep(500 * time.Millisecond)
	publish(t, masterStatus("misconf", 2, masterAt{"d2", d2.Addr}), st)
	wg.Wait()
	if len(failed) > 0 {
		t.Errorf("%d commands failed: %v", len(failed), failed)
	}
	nd := redis.NewClient(&redis.Options{Addr: d2.Addr, Password: testPassword})
	defer nd.Close()
	if got, err := nd.MGet(ctx, "plain", "piped", "counter").Result(); err != nil || len(got) != 3 || got[0] != "v" || got[1] != "v" || got[2] != "1" {
		t.Errorf("on the new master d2: %v, %v; want v, v, 1", got, err)
	}
}
