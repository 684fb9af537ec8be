package plan_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/plan"
	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/redisconn"
)

// TestCrashedNodeSaysWhy: a node that crashed (a real redis-server,
// DEBUG SEGFAULT) was planned "stopped (connection refused): start it",
// its cause left for the operator to dig out of its log on its host. The
// plan now quotes what its log last said; a node stopped by a shutdown
// is only stopped.
func TestCrashedNodeSaysWhy(t *testing.T) {
	const pw = "crashed-test-password"
	ctx := context.Background()
	reason := func(spec *cluster.Spec) string {
		t.Helper()
		p := plan.Diff(spec, plan.Observer{Dial: plantest.Dial}.Observe(ctx, spec), plan.Options{})
		for _, r := range p.Resources {
			if r.Address == "node.n0" && len(r.Reasons) > 0 {
				return r.Reasons[0]
			}
		}
		t.Fatalf("no change to node.n0 in the plan: %+v", p.Resources)
		return ""
	}

	s, root := startLocalLogging(t, pw)
	spec := localSpec(t, root, pw, s.Port, "")
	c := redisconn.New(s.Addr, pw, 5*time.Second, 1)
	_ = c.Do(ctx, "DEBUG", "SEGFAULT").Err() // the connection dies with it
	c.Close()
	s.Kill(t) // reaps it
	log := filepath.Join(root, "log", "n0.log")
	want := "; its log (" + log + " on h) last said: \"Redis "
	if got := reason(spec); !strings.HasPrefix(got, "stopped (") || !strings.Contains(got, want) ||
		!strings.HasSuffix(got, "crashed by signal: 11, si_code: 2\" (a crash: Redis's bug report follows it there): start it") {
		t.Errorf("crashed: reason %q; want it to quote the crash from its log (%q...)", got, want)
	}

	s, root = startLocalLogging(t, pw)
	spec = localSpec(t, root, pw, s.Port, "")
	c = redisconn.New(s.Addr, pw, 5*time.Second, 1)
	_ = c.ShutdownNoSave(ctx).Err()
	c.Close()
	s.Kill(t)
	if got := reason(spec); !strings.HasPrefix(got, "stopped (") || strings.Contains(got, "last said") {
		t.Errorf("shut down: reason %q; want it stopped, with nothing quoted", got)
	}
}
