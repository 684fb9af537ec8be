package apply_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/roma-redis/roma/apply"
	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/plan/plantest"
)

// TestAOFSwitchKeepsData: Redis with appendonly yes reads no snapshot at
// start, and starts empty when there is no append-only file where its
// conf file says. A partition's only node, holding 500 keys, must keep
// them all:
//   - stopped, then started with AOF turned on (it came back empty);
//   - restarted with AOF turned on and a restart-only change (it came
//     back empty);
//   - restarted with its AOF under another name (appenddirname);
//   - stopped, with its AOF under another name than the one it has: not
//     started (its AOF may hold writes its snapshot lacks), and started
//     once the name is set back.
func TestAOFSwitchKeepsData(t *testing.T) {
	l := lab.Shared(t)
	dir := t.TempDir()
	config := func(redis string) string {
		return oneHost{cluster: "aofswitch", partitions: 1, root: "/var/lib/roma/aofswitch", redis: "    save = \"\"\n" + redis,
			nodes: []oneHostNode{{"a0", 7430, 0}}, statusPort: 7494}.text(l)
	}
	spec := writeConfig(t, dir, config("    appendonly = \"no\"\n"))
	destroyAtEnd(t, &spec)
	mustConverge(t, spec)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := plantest.NodeClient(spec, "a0")
	defer c.Close()
	keys := plantest.Write(t, spec, "a0", "a", 500)
	step := func(what, redis string, stopFirst bool) {
		t.Helper()
		if stopFirst {
			if _, err := apply.Stop(ctx, spec, apply.Scope{}, apply.Options{Dial: plantest.Dial}); err != nil {
				t.Fatalf("%s: stop: %v", what, err)
			}
		}
		spec = writeConfig(t, dir, config(redis))
		if _, err := runApply(t, ctx, spec, nil); err != nil {
			t.Fatalf("%s: apply: %v", what, err)
		}
		if missing := plantest.Missing(spec, "a0", keys); missing > 0 {
			t.Fatalf("%s: a0 lacks %d of its %d keys", what, missing, len(keys))
		}
		if p := makePlan(t, spec); p.HasChanges() {
			t.Fatalf("%s: plan after apply has changes: %+v", what, p.Resources)
		}
	}
	step("stopped, started with AOF on", "    appendonly = \"yes\"\n", true)
	if info, err := c.Info(ctx, "persistence").Result(); err != nil || !strings.Contains(info, "aof_enabled:1") {
		t.Fatalf("a0 runs without AOF: %v", err)
	}
	step("AOF off", "    appendonly = \"no\"\n", false)
	before := pids(t, spec)["a0"]
	step("restarted with AOF on", "    appendonly  = \"yes\"\n    tcp-backlog = 256\n", false)
	if pids(t, spec)["a0"] == before {
		t.Fatalf("a0 was not restarted")
	}
	step("restarted with its AOF moved", "    appendonly    = \"yes\"\n    tcp-backlog   = 256\n    appenddirname = \"aof2\"\n", false)
	if v, err := c.ConfigGet(ctx, "appenddirname").Result(); err != nil || v["appenddirname"] != "aof2" {
		t.Fatalf("a0's appenddirname: %v %v, want aof2", v, err)
	}

	// Stopped, its AOF named otherwise: not started.
	if _, err := apply.Stop(ctx, spec, apply.Scope{}, apply.Options{Dial: plantest.Dial}); err != nil {
		t.Fatal(err)
	}
	spec = writeConfig(t, dir, config("    appendonly    = \"yes\"\n    tcp-backlog   = 256\n    appenddirname = \"aof3\"\n"))
	_, err := runApply(t, ctx, spec, nil)
	if err == nil || !strings.Contains(err.Error(), "not started: its conf file keeps the append-only file as aof3/appendonly.aof, but ") || !strings.Contains(err.Error(), "holds aof2/appendonly.aof.manifest") {
		t.Fatalf("apply starting a0 with its AOF named otherwise: %v, want it not started", err)
	}
	if c.Ping(ctx).Err() == nil {
		t.Fatalf("a0 was started")
	}
	step("its AOF name set back", "    appendonly    = \"yes\"\n    tcp-backlog   = 256\n    appenddirname = \"aof2\"\n", false)
}
