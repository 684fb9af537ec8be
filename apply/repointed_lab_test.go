package apply_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/roma-redis/roma/apply"
	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/redisinfo"
)

// TestStartFollowsFailover: roma start brings back a crashed replica,
// rp1, as a replica of its partition's master rp0, and waits for its
// sync, here a full one (its data is gone) that rp0 holds back. Meanwhile
// romad fails rp0 over to rp2 and repoints rp1 there (done here by hand,
// as romad does it: REPLICAOF on each node). start must then wait for
// rp1's sync with rp2 and succeed. Before, it waited for a sync with rp0
// that could no longer come, and never gave up: rp1's offset, rising as
// it followed rp2, passed for progress. Found by a chaos run on a
// scratch cluster, where `roma start --host` hung for minutes, holding
// the cluster lock.
func TestStartFollowsFailover(t *testing.T) {
	l := lab.Shared(t)
	spec := writeConfig(t, t.TempDir(), oneHost{cluster: "repoint", partitions: 1, root: "/var/lib/roma/repoint",
		nodes: []oneHostNode{{"rp0", 7442, 0}, {"rp1", 7443, 0}, {"rp2", 7444, 0}}, statusPort: 7499}.text(l))
	destroyAtEnd(t, &spec)
	mustConverge(t, spec)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	lh := dialHost(t, ctx, spec)
	keys := plantest.Write(t, spec, "rp0", "rp", 300)
	waitKeysOn(t, spec, "rp1", keys)
	waitKeysOn(t, spec, "rp2", keys)

	rp0, rp1, rp2 := plantest.NodeClient(spec, "rp0"), plantest.NodeClient(spec, "rp1"), plantest.NodeClient(spec, "rp2")
	defer rp0.Close()
	defer rp1.Close()
	defer rp2.Close()
	// rp0 holds a full sync back 60s; rp2 does not.
	if err := rp0.ConfigSet(ctx, "repl-diskless-sync-delay", "60").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rp2.ConfigSet(ctx, "repl-diskless-sync-delay", "0").Err(); err != nil {
		t.Fatal(err)
	}
	crashNode(t, spec, "rp1")
	lh.run(ctx, "rm -rf "+lh.layout.Data("rp1")+"/*")

	done := make(chan error, 1)
	go func() {
		_, err := apply.Start(ctx, spec, apply.Scope{}, apply.Options{Dial: plantest.Dial, ReadyTimeout: 15 * time.Second})
		done <- err
	}()
	port := func(n int) string { return strconv.Itoa(n) }
	addr := lh.host.Address
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		reply, err := rp1.Info(ctx, "replication").Result()
		if err == nil && redisinfo.Parse(reply).MasterAddr() == addr+":7442" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("start did not bring rp1 back as rp0's replica within 30s: %v %q", err, reply)
		}
	}
	time.Sleep(time.Second)
	// romad's failover of rp0 to rp2.
	if err := rp2.ReplicaOf(ctx, "NO", "ONE").Err(); err != nil {
		t.Fatal(err)
	}
	for _, n := range []struct {
		name string
		do   func() error
	}{
		{"rp0", func() error { return rp0.ReplicaOf(ctx, addr, port(7444)).Err() }},
		{"rp1", func() error { return rp1.ReplicaOf(ctx, addr, port(7444)).Err() }},
	} {
		if err := n.do(); err != nil {
			t.Fatalf("REPLICAOF rp2 on %s: %v", n.name, err)
		}
	}
	moved := time.Now()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("start, its replica repointed to the new master: %v", err)
		}
		t.Logf("start returned %s after the failover", time.Since(moved).Round(time.Millisecond))
	case <-time.After(60 * time.Second):
		t.Fatalf("start did not return within 60s of the failover")
	}
	reply, err := rp1.Info(ctx, "replication").Result()
	if st := redisinfo.Parse(reply); err != nil || st.MasterAddr() != addr+":7444" || !st.LinkUp() {
		t.Errorf("rp1 after start: %v %q; want it in sync with rp2", err, reply)
	}
	if missing := plantest.Missing(spec, "rp1", keys); missing > 0 {
		t.Errorf("rp1 lacks %d of %d keys", missing, len(keys))
	}
}
