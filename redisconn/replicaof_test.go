package redisconn_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/redisconn/redistest"
	"github.com/roma-redis/roma/redisinfo"
)

// TestReplicaOfWhileLoading: a replica loading its master's dataset in a
// full sync (real redis-servers, 1.5 million keys) refuses REPLICAOF with
// LOADING; ReplicaOf waits the load out and then gets it through. roma
// apply sent REPLICAOF to a node it had just started, in that window, and
// failed.
func TestReplicaOfWhileLoading(t *testing.T) {
	ctx := context.Background()
	m, _ := populated(t)
	r := redistest.Start(t, bigPassword)
	rc := redisconn.New(r.Addr, bigPassword, 30*time.Second, 1)
	defer rc.Close()
	if err := rc.ReplicaOf(ctx, "127.0.0.1", strconv.Itoa(m.Port)).Err(); err != nil {
		t.Fatal(err)
	}
	// Wait for the replica to be loading what its master sent.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
		info, err := rc.Info(ctx, "persistence").Result()
		if err == nil && redisinfo.Parse(info).Int("loading") == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replica did not start loading its master's dataset within 30s: %v", err)
		}
	}
	err := rc.ReplicaOf(ctx, "no", "one").Err()
	if !redis.IsLoadingError(err) {
		t.Fatalf("REPLICAOF NO ONE while loading: %v, want LOADING (the load ended first? make the dataset larger)", err)
	}
	// A stall far shorter than the load: the load moves on, and ReplicaOf
	// waits it out.
	start := time.Now()
	if err := redisconn.ReplicaOf(ctx, rc, "no", "one", 300*time.Millisecond); err != nil {
		t.Fatalf("ReplicaOf NO ONE while loading: %v", err)
	}
	t.Logf("ReplicaOf waited %s for the load", time.Since(start).Round(time.Millisecond))
	info, err := rc.Info(ctx, "replication").Result()
	if err != nil || !strings.Contains(info, "role:master") {
		t.Errorf("after ReplicaOf NO ONE: %v %q, want role:master", err, info)
	}
}

// bigPassword is the password of populated's server.
const bigPassword = "big-dataset-test-password"

// populated starts a redis-server holding 1.5 million keys, enough for a
// load or a rewrite of its dataset to take about a second, and returns it
// with a client of it.
func populated(t *testing.T) (*redistest.Server, *redis.Client) {
	t.Helper()
	s := redistest.Start(t, bigPassword, "--enable-debug-command", "yes")
	c := redisconn.New(s.Addr, bigPassword, 30*time.Second, 1)
	t.Cleanup(func() { c.Close() })
	if err := c.Do(context.Background(), "DEBUG", "POPULATE", 1_500_000).Err(); err != nil {
		t.Fatal(err)
	}
	return s, c
}
