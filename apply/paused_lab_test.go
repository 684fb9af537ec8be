package apply_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/apply"
	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/plan/plantest"
)

// TestStopPausedNode: a node that does not answer while its process runs
// (paused here; a stalled disk does the same) was taken for stopped:
// roma stop left it running and reported success, and roma start waited
// for it until its ready timeout. Stop now fails for it, saying so, and
// stops the others; start fails for it at once, and starts no master
// beside it; once the node runs again, stop converges.
func TestStopPausedNode(t *testing.T) {
	l := lab.Shared(t)
	// pz0 on a second host entry (the same lab host, a root of its own),
	// for a start limited to it (--host), which must ask pz1's host.
	spec := writeConfig(t, t.TempDir(), oneHost{cluster: "paused", partitions: 1, root: "/var/lib/roma/paused",
		nodes: []oneHostNode{{"pz1", 7457, 0}}, statusPort: 7489}.text(l)+hostEntry(l, "other", l.Hosts[len(l.Hosts)-1], "/var/lib/roma/paused-other")+`
node "pz0" {
  host      = "other"
  port      = 7456
  partition = 0
}
`)
	destroyAtEnd(t, &spec)
	mustConverge(t, spec)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	lh := dialHost(t, ctx, spec)
	pidfile := lh.layout.Pid("pz1")
	lh.run(ctx, "kill -STOP $(cat "+pidfile+")")
	t.Cleanup(func() { _, _ = lh.tr.Run(context.Background(), "kill -CONT $(cat "+pidfile+") 2>/dev/null") })

	res, err := apply.Stop(ctx, spec, apply.Scope{}, apply.Options{Dial: plantest.Dial})
	want := "pz1 at " + spec.Addr(spec.Hosts[0].Name, 7457) + " does not answer, though its process runs (pid "
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("stop with pz1 paused: %v; want an error saying %q", err, want)
	}
	if len(res.Failed) != 1 || res.Failed[0].Address != "node.pz1" {
		t.Errorf("failed: %+v, want node.pz1 alone", res.Failed)
	}
	st := spec.Status[0]
	for name, c := range map[string]*redis.Client{"pz0": plantest.NodeClient(spec, "pz0"), st.Name: plantest.Client(spec, st.Host, st.Port)} {
		if err := c.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("%s after the stop: PING says %v, want the connection refused", name, err)
		}
		c.Close()
	}

	// A start limited to pz0's host starts no master either: it asks
	// pz1's host, out of its scope, whether pz1 runs.
	var (
		mu   sync.Mutex
		said []string
	)
	report := func(ev apply.Event) {
		mu.Lock()
		defer mu.Unlock()
		said = append(said, ev.Address+": "+ev.Message)
	}
	res, err = apply.Start(ctx, spec, apply.Scope{Hosts: []string{"other"}}, apply.Options{Dial: plantest.Dial, Report: report})
	why := "node.pz0: not attempted: partition 0 has no master that answers, and pz1, which may be its master, does not answer though it runs"
	if mu.Lock(); !slices.Contains(res.Skipped, "node.pz0") || err == nil || !slices.ContainsFunc(said, func(s string) bool { return strings.HasPrefix(s, why) }) {
		t.Errorf("start --host other with pz1 paused: skipped %v, %v, said %q; want node.pz0 skipped, saying %q", res.Skipped, err, said, why)
	}
	mu.Unlock()
	c := plantest.NodeClient(spec, "pz0")
	if c.Ping(ctx).Err() == nil {
		t.Error("start --host other with pz1 paused started pz0")
	}
	c.Close()

	// Start fails for it alike, and starts no other node of its
	// partition as master: pz1 may be the master, paused, and would be a
	// second one once it runs again.
	res, err = apply.Start(ctx, spec, apply.Scope{}, apply.Options{Dial: plantest.Dial})
	if want := strings.Replace(want, "(pid ", "", 1); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "roma can neither start it (it runs) nor use it") {
		t.Errorf("start with pz1 paused: %v; want an error saying %q", err, want)
	}
	if !slices.Contains(res.Skipped, "node.pz0") {
		t.Errorf("start with pz1 paused: skipped %v, want node.pz0 among them", res.Skipped)
	}
	c = plantest.NodeClient(spec, "pz0")
	if c.Ping(ctx).Err() == nil {
		t.Error("start with pz1 paused started pz0")
	}
	c.Close()

	lh.run(ctx, "kill -CONT $(cat "+pidfile+")")
	if _, err := apply.Stop(ctx, spec, apply.Scope{}, apply.Options{Dial: plantest.Dial}); err != nil {
		t.Fatalf("stop once pz1 runs again: %v", err)
	}
	lh.run(ctx, "! test -e "+pidfile)
}
