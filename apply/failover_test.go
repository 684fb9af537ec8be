package apply

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconf"
	"github.com/roma-redis/roma/redisconn/redistest"
	"github.com/roma-redis/roma/redisinfo"
)

// TestFailoverReplicaNotOnline: FAILOVER TO a replica that the master
// does not count as online yet (here: waiting for its full sync, which
// repl-diskless-sync-delay holds back 2s) is refused with "not online";
// failover asks again until it is online, then hands over (real
// redis-servers). A rolling restart hands over right after a replica's
// link comes up, a moment before its first REPLCONF ACK makes it online.
func TestFailoverReplicaNotOnline(t *testing.T) {
	const pw = "failover-test-password"
	ctx := context.Background()
	m := redistest.Start(t, pw, "--repl-diskless-sync-delay", "2")
	r := redistest.Start(t, pw)
	h := cluster.Host{Name: "h", Address: "127.0.0.1"}
	master := redisconf.Target{Kind: redisconf.KindData, Name: "m", Host: h, Port: m.Port}
	replica := redisconf.Target{Kind: redisconf.KindData, Name: "r", Host: h, Port: r.Port}
	e := &executor{spec: &cluster.Spec{Name: "fo", Password: cluster.NewSecret(pw)}}

	mc := redis.NewClient(&redis.Options{Addr: m.Addr, Password: pw})
	defer mc.Close()
	rc := redis.NewClient(&redis.Options{Addr: r.Addr, Password: pw})
	defer rc.Close()
	if err := mc.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rc.ConfigSet(ctx, "masterauth", pw).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rc.ReplicaOf(ctx, "127.0.0.1", strconv.Itoa(m.Port)).Err(); err != nil {
		t.Fatal(err)
	}
	// The master knows the replica, not online yet.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		reply, _ := mc.Info(ctx, "replication").Result()
		if strings.Contains(reply, "slave0:") && !strings.Contains(reply, "state=online") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the master does not list the replica as syncing: %s", reply)
		}
	}
	if err := mc.Do(ctx, "FAILOVER", "TO", "127.0.0.1", r.Port).Err(); err == nil || !strings.Contains(err.Error(), "not online") {
		t.Fatalf("a plain FAILOVER to a syncing replica: %v, want it refused as not online", err)
	}
	start := time.Now()
	if err := e.failover(ctx, master, replica); err != nil {
		t.Fatalf("failover to a replica still syncing: %v", err)
	}
	reply, err := mc.Info(ctx, "replication").Result()
	if info := redisinfo.Parse(reply); err != nil || !info.Replica() || info.MasterAddr() != r.Addr {
		t.Errorf("the old master after failover: %v %s", err, reply)
	}
	if got, err := rc.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Errorf("the new master holds k = %q, %v", got, err)
	}
	t.Logf("handed over %s after the replica was asked for", time.Since(start).Round(time.Millisecond))
}
