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

// TestDamagedDataHint: a node whose append-only file is damaged (a crash
// in the middle of a write, a bad disk) does not start: Redis refuses
// it. The error must say so and give the way out, and that way must
// work, with no key lost:
//   - a replica, its master running (roma start, and roma apply, which
//     starts it too): move its data directory aside; it starts empty and
//     copies the master's data;
//   - the partition's last master, the whole cluster stopped: the same
//     move makes the node with the data, its replica, master.
func TestDamagedDataHint(t *testing.T) {
	l := lab.Shared(t)
	spec := writeConfig(t, t.TempDir(), oneHost{cluster: "damaged", partitions: 1, root: "/var/lib/roma/damaged", redis: "    appendonly = \"yes\"\n",
		nodes: []oneHostNode{{"d0", 7450, 0}, {"d1", 7451, 0}}, statusPort: 7496}.text(l))
	destroyAtEnd(t, &spec)
	mustConverge(t, spec)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	lh := dialHost(t, ctx, spec)
	h, layout := lh.host, lh.layout
	defer func() {
		if _, err := lh.tr.Run(context.Background(), "rm -rf "+layout.Data("d0")+".damaged "+layout.Data("d1")+".damaged"); err != nil {
			t.Errorf("removing the data moved aside: %v", err)
		}
	}()
	run := func(script string) { t.Helper(); lh.run(ctx, script) }
	// damage appends a line that is not a command to the newest
	// increment of name's append-only file.
	damage := func(name string) {
		t.Helper()
		run("f=$(ls " + layout.Data(name) + "/appendonlydir/*.incr.aof | tail -n 1) && printf 'garbage\\n' >> \"$f\"")
	}
	refused := func(what string, err error, want ...string) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s of a node with a damaged append-only file: no error", what)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s error lacks %q:\n%v", what, w, err)
			}
		}
	}
	start := func(want ...string) {
		t.Helper()
		_, err := apply.Start(ctx, spec, apply.Scope{}, apply.Options{Dial: plantest.Dial})
		refused("start", err, want...)
	}
	keys := plantest.Write(t, spec, "d0", "d", 300)
	waitKeysOn(t, spec, "d1", keys)

	crashNode(t, spec, "d1")
	damage("d1")
	replicaHint := []string{"Bad file format reading the append only file",
		"d1's data files in " + layout.Data("d1") + " on " + h.Name + " are damaged",
		"d1 is to replicate from d0, which holds partition 0's data: move " + layout.Data("d1") + " aside"}
	start(replicaHint...)
	_, err := runApply(t, ctx, spec, nil)
	refused("apply", err, replicaHint...)
	run("mv " + layout.Data("d1") + " " + layout.Data("d1") + ".damaged")
	if _, err := apply.Start(ctx, spec, apply.Scope{}, apply.Options{Dial: plantest.Dial}); err != nil {
		t.Fatalf("start after d1's data was moved aside: %v", err)
	}
	waitKeysOn(t, spec, "d1", keys)

	if _, err := apply.Stop(ctx, spec, apply.Scope{}, apply.Options{Dial: plantest.Dial}); err != nil {
		t.Fatalf("stop: %v", err)
	}
	damage("d0")
	start("d0's data files in "+layout.Data("d0")+" on "+h.Name+" are damaged",
		"Copy "+layout.Data("d0")+" first. If another node of partition 0 holds its data, move "+layout.Data("d0")+" aside")
	run("mv " + layout.Data("d0") + " " + layout.Data("d0") + ".damaged")
	if _, err := apply.Start(ctx, spec, apply.Scope{}, apply.Options{Dial: plantest.Dial}); err != nil {
		t.Fatalf("start after d0's data was moved aside: %v", err)
	}
	if m, _ := roles(t, spec, 0); m != "d1" {
		t.Errorf("master after d0 started without its data: %s, want d1, which had it", m)
	}
	for _, name := range []string{"d0", "d1"} {
		waitKeysOn(t, spec, name, keys)
	}
	if p := makePlan(t, spec); p.HasChanges() {
		t.Errorf("plan after the repair has changes: %+v", p.Resources)
	}
}
