package apply_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/roma-redis/roma/apply"
	"github.com/roma-redis/roma/client/clienttest"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/plan/plantest"
)

// TestRestartNodeThatCannotSave: a node whose snapshot failed (here its
// data directory removed; a full disk does the same) answers PING with
// MISCONF, and plan proposes to restart it. SIGTERM cannot stop it, as
// Redis will not exit without saving: the restart waited the stop
// timeout (60s), then killed it with every write since its last save.
//
//   - It is the partition's master: apply leaves it running and says
//     what to fix; no key is lost.
//   - Another node is master (romad failed it over, here by hand): that
//     node holds the data, so apply stops it at once without saving, and
//     it comes back as a replica with every key.
func TestRestartNodeThatCannotSave(t *testing.T) {
	l := lab.Shared(t)
	spec := writeConfig(t, t.TempDir(), oneHost{cluster: "misconf", partitions: 1, root: "/var/lib/roma/misconf", redis: "    appendonly = \"yes\"\n",
		nodes: []oneHostNode{{"m0", 7452, 0}, {"m1", 7453, 0}}, statusPort: 7497}.text(l))
	destroyAtEnd(t, &spec)
	mustConverge(t, spec)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	lh := dialHost(t, ctx, spec)
	h, layout := lh.host, lh.layout
	if m, _ := roles(t, spec, 0); m != "m0" {
		t.Fatalf("master after bootstrap: %s, want m0", m)
	}
	keys := plantest.Write(t, spec, "m0", "mc", 300)
	waitKeysOn(t, spec, "m1", keys)

	// m0's data directory goes, and its next snapshot fails.
	cannotSave(t, ctx, lh, spec, "m0")

	// The plan says m0 runs, as romad published it master.
	if err := clienttest.Publish(ctx, spec, clienttest.Status(spec, 1, map[int]string{0: "m0"})); err != nil {
		t.Fatal(err)
	}
	want := "m0, the last master of partition 0 as romad last published, runs but does not answer"
	if r := plantest.Find(makePlan(t, spec), "partition.0"); r == nil || len(r.Reasons) == 0 || !strings.HasPrefix(r.Reasons[0], want) {
		t.Errorf("partition.0 in the plan: %+v; want its reason to start %q", r, want)
	}
	_, err := runApply(t, ctx, spec, nil)
	if err == nil {
		t.Fatal("apply restarted m0, the partition's master, which cannot save: no error")
	}
	for _, want := range []string{"m0 cannot save its data (\"MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk\")",
		"a restart would lose every write it took since its last save, and no other node holds partition 0's data",
		"see " + layout.Log("m0") + " on " + h.Name, "it is left running"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("apply's error lacks %q:\n%v", want, err)
		}
	}
	if missing := plantest.Missing(spec, "m0", keys); missing != 0 {
		t.Fatalf("m0 lost %d of %d keys", missing, len(keys))
	}

	// Failed over to m1: m0's data is m1's.
	m1 := plantest.NodeClient(spec, "m1")
	defer m1.Close()
	if err := m1.Do(ctx, "REPLICAOF", "NO", "ONE").Err(); err != nil {
		t.Fatal(err)
	}
	if err := clienttest.Publish(ctx, spec, clienttest.Status(spec, 2, map[int]string{0: "m1"})); err != nil {
		t.Fatal(err)
	}
	if _, err := runApply(t, ctx, spec, nil); err != nil {
		t.Fatalf("apply with m1 master: %v", err)
	}
	if m, _ := roles(t, spec, 0); m != "m1" {
		t.Errorf("master after apply: %s, want m1", m)
	}
	for _, name := range []string{"m0", "m1"} {
		waitKeysOn(t, spec, name, keys)
	}
	// Stopped without saving, not signalled in vain until killed.
	res, err := lh.tr.Run(ctx, "grep -c \"can't exit\" "+layout.Log("m0")+" || true")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.TrimSpace(string(res.Stdout)); n != "0" {
		t.Errorf("m0's log has %s \"Error trying to save the DB, can't exit\" lines: apply signalled it to stop while it could not save", n)
	}
	if p := makePlan(t, spec); p.HasChanges() {
		t.Errorf("plan after the repair has changes: %+v", p.Resources)
	}

	// roma stop cannot stop with a save a node that cannot save: it says
	// why at once, rather than asking again until ReadyTimeout.
	cannotSave(t, ctx, lh, spec, "m1")
	_, err = apply.Stop(ctx, spec, apply.Scope{}, apply.Options{Dial: plantest.Dial})
	if err == nil || !strings.Contains(err.Error(), "m1 cannot save its data (\"MISCONF") || !strings.Contains(err.Error(), "so it cannot be stopped with a save (SHUTDOWN SAVE)") {
		t.Errorf("stop with m1 unable to save: %v", err)
	}
	if missing := plantest.Missing(spec, "m1", keys); missing != 0 {
		t.Errorf("m1 lost %d of %d keys", missing, len(keys))
	}

	// destroy -purge-data deletes the data: the nodes stop without
	// saving, so one that cannot save stops too.
	if _, err := apply.Destroy(ctx, spec, true, apply.Options{Dial: plantest.Dial}); err != nil {
		t.Fatalf("destroy -purge-data with m1 unable to save: %v", err)
	}
	if err := m1.Ping(ctx).Err(); err == nil || strings.HasPrefix(err.Error(), "MISCONF") {
		t.Errorf("m1 after destroy -purge-data: %v, want it gone", err)
	}
}

// cannotSave removes name's data directory and has it snapshot, which
// fails: it then answers MISCONF.
func cannotSave(t *testing.T, ctx context.Context, lh *labHost, spec *cluster.Spec, name string) {
	t.Helper()
	lh.run(ctx, "rm -rf "+lh.layout.Data(name))
	c := plantest.NodeClient(spec, name)
	defer c.Close()
	if err := c.BgSave(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if err := c.Ping(ctx).Err(); err != nil && strings.HasPrefix(err.Error(), "MISCONF") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not answer MISCONF 10s after its snapshot failed", name)
		}
	}
}
