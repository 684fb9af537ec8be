package apply_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/apply"
	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/plan/plantest"
)

// TestSlowSyncOutlastsReadyTimeout: a replica added to a partition whose
// dataset takes far longer to send than ReadyTimeout, as a large dataset
// does (here the master saves it slowly: rdb-key-save-delay). apply must
// wait for the sync as long as it moves on, and finish with the replica
// holding every key. With ReadyTimeout as a fixed deadline, apply failed:
// "replica not in sync after 3s", on any dataset that takes longer to
// sync than the deadline. Then a stop whose save takes longer than 15s
// must wait for it.
func TestSlowSyncOutlastsReadyTimeout(t *testing.T) {
	l := lab.Shared(t)
	dir := t.TempDir()
	// A diskless sync waits repl-diskless-sync-delay for more replicas,
	// with nothing to show: ReadyTimeout must be longer than that.
	c := oneHost{cluster: "slowsync", partitions: 1, root: "/var/lib/roma/slowsync", redis: "    repl-diskless-sync-delay = 0\n",
		nodes: []oneHostNode{{"ss0", 7410, 0}}, statusPort: 7492}
	spec := writeConfig(t, dir, c.text(l))
	destroyAtEnd(t, &spec)
	mustConverge(t, spec)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const n = 10000
	mc := plantest.NodeClient(spec, "ss0")
	defer mc.Close()
	var keys []string
	pipe := mc.Pipeline()
	for i := range n {
		k := fmt.Sprintf("k:%d", i)
		keys = append(keys, k)
		pipe.Set(ctx, k, k, 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatalf("writing %d keys to ss0: %v", n, err)
	}
	// 1ms a key: the master takes some 10s to save its dataset for the
	// new replica, and shows its progress every 1,024 keys.
	if err := mc.ConfigSet(ctx, "rdb-key-save-delay", "1000").Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mc.ConfigSet(context.Background(), "rdb-key-save-delay", "0") })

	c.nodes = append(c.nodes, oneHostNode{"ss1", 7411, 0})
	spec = writeConfig(t, dir, c.text(l))
	const ready = 3 * time.Second
	p := makePlan(t, spec)
	ev := &events{}
	start := time.Now()
	res, err := apply.Apply(ctx, spec, p, apply.Options{Dial: plantest.Dial, Report: ev.report, ReadyTimeout: ready})
	took := time.Since(start)
	if err != nil {
		t.Fatalf("apply adding a replica whose sync takes longer than ReadyTimeout (%s): %v (after %s)", ready, err, took)
	}
	if res.Remaining != nil {
		t.Fatalf("apply left changes: %+v", res.Remaining.Resources)
	}
	if took < 2*ready {
		t.Fatalf("apply took %s, not longer than twice ReadyTimeout (%s): the test shows nothing (make the save slower)", took, ready)
	}
	t.Logf("apply took %s with ReadyTimeout %s", took, ready)
	if missing := plantest.Missing(spec, "ss1", keys); missing > 0 {
		t.Errorf("ss1 lacks %d of its master's %d keys", missing, n)
	}
	if err := mc.ConfigSet(ctx, "rdb-key-save-delay", "0").Err(); err != nil {
		t.Fatal(err)
	}
	if p := makePlan(t, spec); p.HasChanges() {
		t.Errorf("plan after apply has changes: %+v", p.Resources)
	}

	// roma stop saves each node with SHUTDOWN SAVE, which Redis answers
	// only once its whole dataset is saved: here some 20s for ss1 (2ms a
	// key), more than the 15s a reply was awaited for, which failed the
	// stop with an i/o timeout while Redis went on saving.
	rc := plantest.NodeClient(spec, "ss1")
	defer rc.Close()
	if err := rc.ConfigSet(ctx, "rdb-key-save-delay", "2000").Err(); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if _, err := apply.Stop(ctx, spec, apply.Scope{}, apply.Options{Dial: plantest.Dial, ReadyTimeout: 40 * time.Second}); err != nil {
		t.Fatalf("stop with a save that takes longer than 15s: %v (after %s)", err, time.Since(start))
	}
	if took := time.Since(start); took < 16*time.Second {
		t.Fatalf("the stop took %s: ss1's save was not slower than 15s, and the test shows nothing", took)
	}
	if _, err := apply.Start(ctx, spec, apply.Scope{}, apply.Options{Dial: plantest.Dial}); err != nil {
		t.Fatalf("start: %v", err)
	}
	if missing := plantest.Missing(spec, "ss1", keys); missing > 0 {
		t.Errorf("after its stop and start, ss1 lacks %d of %d keys", missing, n)
	}
}

// TestStopStopsALoadingNode: roma stop took a node loading its dataset,
// which refuses PING with LOADING, for a stopped one, left it running and
// said "Stop complete". Here the replica was started by hand, its load
// made slow (key-load-delay): stop must stop it too, and start bring the
// partition back whole.
func TestStopStopsALoadingNode(t *testing.T) {
	l := lab.Shared(t)
	dir := t.TempDir()
	h := l.Hosts[len(l.Hosts)-1]
	c := oneHost{cluster: "loadstop", partitions: 1, root: "/var/lib/roma/loadstop",
		nodes: []oneHostNode{{"ls0", 7420, 0}, {"ls1", 7421, 0}}, statusPort: 7493}
	spec := writeConfig(t, dir, c.text(l))
	destroyAtEnd(t, &spec)
	mustConverge(t, spec)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// 1KB values that do not compress: Redis answers while it loads
	// once every 2MB read, so every 2,000 keys here.
	const n = 50000
	mc := plantest.NodeClient(spec, "ls0")
	defer mc.Close()
	pipe := mc.Pipeline()
	for i := range n {
		value := make([]byte, 1000)
		rand.Read(value)
		pipe.Set(ctx, fmt.Sprintf("k:%d", i), value, 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatalf("writing %d keys to ls0: %v", n, err)
	}
	rc := plantest.NodeClient(spec, "ls1")
	defer rc.Close()
	waitDBSize(t, rc, "ls1", n)
	if err := rc.Shutdown(ctx).Err(); err != nil && !strings.Contains(err.Error(), "EOF") && !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("SHUTDOWN on ls1: %v", err)
	}
	// 100µs a key, some seconds in all.
	plantest.StartByHand(t, spec, "ls1", "--key-load-delay", "100")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		info, err := rc.Info(ctx, "persistence").Result()
		if err == nil && strings.Contains(info, "loading:1") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ls1 does not load its dataset after a restart by hand: %v", err)
		}
	}

	if _, err := apply.Stop(ctx, spec, apply.Scope{}, apply.Options{Dial: plantest.Dial}); err != nil {
		t.Fatalf("stop: %v", err)
	}
	for _, name := range []string{"ls0", "ls1", "loadstop-st"} {
		var port int
		if nd, ok := spec.Node(name); ok {
			port = nd.Port
		} else {
			port = 7493
		}
		c := plantest.Client(spec, h.Name, port)
		err := c.Ping(ctx).Err()
		c.Close()
		if err == nil || strings.Contains(err.Error(), "LOADING") {
			t.Errorf("%s still runs after roma stop (PING: %v)", name, err)
		}
	}

	if _, err := apply.Start(ctx, spec, apply.Scope{}, apply.Options{Dial: plantest.Dial}); err != nil {
		t.Fatalf("start: %v", err)
	}
	waitDBSize(t, rc, "ls1", n)
	if p := makePlan(t, spec); p.HasChanges() || len(p.Unobserved) > 0 {
		t.Errorf("plan after stop and start has changes: %+v %+v", p.Resources, p.Unobserved)
	}
}

// waitDBSize waits until c's node (name) holds n keys.
func waitDBSize(t *testing.T, c *redis.Client, name string, n int64) {
	t.Helper()
	var got int64
	var err error
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if got, err = c.DBSize(context.Background()).Result(); err == nil && got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %d keys (%v), want %d", name, got, err, n)
		}
	}
}
