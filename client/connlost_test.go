package client

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconn/redistest"
)

// TestConnectionLost: a master killed (SIGKILL, a real redis-server)
// under commands in flight fails them with ErrConnLost, naming the node
// and its partition, and does not retry them (they may have run): a BLPOP
// that was blocked, and a pipeline whose replies had not come. go-redis
// alone says only "EOF" or "connection reset by peer".
func TestConnectionLost(t *testing.T) {
	ctx := context.Background()
	st := startServers(t, 1)[0]
	d1 := redistest.Start(t, testPassword)
	publish(t, masterStatus("lost", 1, masterAt{"d1", d1.Addr}), st)
	c, err := New(ctx, Options{Cluster: "lost", StatusAddrs: []string{st.Addr}, Password: cluster.NewSecret(testPassword),
		FailoverWait: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	blpop := make(chan error, 1)
	go func() { blpop <- c.BLPop(ctx, 0, "queue").Err() }()
	// A pipeline whose last command blocks, so that the kill finds it
	// out: its replies not all read.
	pipe := make(chan []redis.Cmder, 1)
	go func() {
		cmds, _ := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "k", "v", 0)
			p.BLPop(ctx, 0, "other")
			return nil
		})
		pipe <- cmds
	}()
	direct := redis.NewClient(&redis.Options{Addr: d1.Addr, Password: testPassword})
	defer direct.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		info, _ := direct.Info(ctx, "clients").Result()
		if strings.Contains(info, "blocked_clients:2") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the two BLPOPs are not blocked on d1 after 10s:\n%s", info)
		}
	}
	d1.Kill(t)

	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, ErrConnLost) || !strings.Contains(err.Error(), "node d1 ("+d1.Addr+", partition 0)") {
			t.Errorf("%s when its master is killed: %v, want ErrConnLost naming d1 and partition 0", what, err)
		}
		if errors.Is(err, ErrNoFailover) {
			t.Errorf("%s: %v: it waited for a failover, to retry a command that may have run", what, err)
		}
	}
	select {
	case err := <-blpop:
		check("BLPOP", err)
	case <-time.After(10 * time.Second):
		t.Fatal("BLPOP still blocked 10s after its master was killed")
	}
	select {
	case cmds := <-pipe:
		if len(cmds) != 2 {
			t.Fatalf("pipeline: %d commands, want 2", len(cmds))
		}
		check("a pipelined BLPOP", cmds[1].Err())
	case <-time.After(10 * time.Second):
		t.Fatal("the pipeline still waits 10s after its master was killed")
	}
}
