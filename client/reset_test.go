package client

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconn/redistest"
)

// TestStatusStoreReset: every status node loses its data (FLUSHALL on
// three real ones) and romad begins again at epoch 1, with another master:
// the client follows it, though it had seen epoch 7. It used to ignore
// every status below 7, and so every failover until the epoch passed 7.
// While one status node still holds epoch 7 (down for the moment, so not
// every node answered), the client keeps routing by epoch 7.
func TestStatusStoreReset(t *testing.T) {
	ctx := context.Background()
	sts := startServers(t, 3)
	addrs := addrsOf(sts)
	d1, d2 := redistest.Start(t, testPassword), redistest.Start(t, testPassword)
	publish(t, masterStatus("reset", 7, masterAt{"d1", d1.Addr}), sts...)
	c, err := New(ctx, Options{Cluster: "reset", StatusAddrs: addrs, Password: cluster.NewSecret(testPassword),
		PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	lands := func(want *redistest.Server, epoch int64) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			st, err := c.Status()
			if err == nil && st.Epoch == epoch {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the client did not route by epoch %d within 5s: status %+v, %v", epoch, st, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err := c.Set(ctx, "k", want.Addr, 0).Err(); err != nil {
			t.Fatalf("SET at epoch %d: %v", epoch, err)
		}
		r := redis.NewClient(&redis.Options{Addr: want.Addr, Password: testPassword})
		defer r.Close()
		if v, _ := r.Get(ctx, "k").Result(); v != want.Addr {
			t.Fatalf("at epoch %d, k on %s is %q: the SET went elsewhere", epoch, want.Addr, v)
		}
	}
	lands(d1, 7)

	flush := func(s *redistest.Server) {
		r := redis.NewClient(&redis.Options{Addr: s.Addr, Password: testPassword})
		defer r.Close()
		if err := r.FlushAll(ctx).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// Two status nodes reset while the third, holding epoch 7, is down:
	// not every node answers, so epoch 7 may still be out there.
	sts[2].Kill(t)
	flush(sts[0])
	flush(sts[1])
	publish(t, masterStatus("reset", 1, masterAt{"d2", d2.Addr}), sts[0], sts[1])
	time.Sleep(500 * time.Millisecond) // five polls
	if st, err := c.Status(); err != nil || st.Epoch != 7 {
		t.Fatalf("with a status node down and the others at epoch 1, the client routes by %+v, %v; want epoch 7", st, err)
	}
	// The third comes back empty: every node answers, none with epoch 7.
	sts[2].Relaunch(t)
	publish(t, masterStatus("reset", 1, masterAt{"d2", d2.Addr}), sts[2])
	lands(d2, 1)
}
