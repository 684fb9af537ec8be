package apply_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/plan/plantest"
)

// TestRestartKeepsUnsavedData: nodes that keep no snapshot and no
// append-only file (save "", appendonly no) hold their data in memory
// only. A restart-only change restarts a partition's only node in place,
// and rolls a two-node partition: every node must come back with its
// data, as roma stop and start bring it back (SHUTDOWN SAVE).
func TestRestartKeepsUnsavedData(t *testing.T) {
	l := lab.Shared(t)
	dir := t.TempDir()
	c := oneHost{cluster: "unsaved", partitions: 2, redis: "    save       = \"\"\n    appendonly = \"no\"\n",
		nodes: []oneHostNode{{"u0", 7400, 0}, {"u1a", 7401, 1}, {"u1b", 7402, 1}}, statusPort: 7490}
	base := c.text(l)
	spec := writeConfig(t, dir, base)
	destroyAtEnd(t, &spec)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	mustConverge(t, spec)

	keys := map[string][]string{}
	for _, name := range []string{"u0", "u1a"} {
		keys[name] = plantest.Write(t, spec, name, name, 500)
	}
	m1, _ := roles(t, spec, 1)
	if m1 != "u1a" {
		t.Fatalf("partition 1's master is %s, want u1a", m1)
	}
	waitKeysOn(t, spec, "u1b", keys["u1a"])
	before := pids(t, spec)

	spec = writeConfig(t, dir, strings.Replace(base, `appendonly = "no"`, `appendonly = "no"
    tcp-backlog = 256`, 1))
	ev := &events{}
	if _, err := runApply(t, ctx, spec, ev); err != nil {
		t.Fatalf("apply of a restart-only change: %v", err)
	}
	after := pids(t, spec)
	for name, pid := range before {
		if after[name] == pid {
			t.Errorf("%s was not restarted (pid %d)", name, pid)
		}
	}
	for name, want := range map[string][]string{"u0": keys["u0"], "u1a": keys["u1a"], "u1b": keys["u1a"]} {
		if missing := plantest.Missing(spec, name, want); missing > 0 {
			t.Errorf("%s lacks %d of its partition's %d keys after its restart", name, missing, len(want))
		}
	}
	if p := makePlan(t, spec); p.HasChanges() {
		t.Errorf("plan after apply has changes: %+v", p.Resources)
	}
}

// waitKeysOn waits until node name holds every key.
func waitKeysOn(t *testing.T, spec *cluster.Spec, name string, keys []string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		missing := plantest.Missing(spec, name, keys)
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still lacks %d of %d keys", name, missing, len(keys))
		}
	}
}
