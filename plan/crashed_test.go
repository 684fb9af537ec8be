package plan_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/plan"
	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/redisconn/redistest"
)

// TestCrashedNodeSaysWhy: a node that crashed (a real redis-server,
// DEBUG SEGFAULT) was planned "stopped (connection refused): start it",
// its cause left for the operator to dig out of its log on its host. The
// plan now quotes what its log last said; a node stopped by a shutdown
// is only stopped; one killed is said to have been.
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
	if got := reason(spec); !strings.HasPrefix(got, "stopped (") || strings.Contains(got, "its log") {
		t.Errorf("shut down: reason %q; want it stopped, with nothing quoted", got)
	}

	// Killed (SIGKILL: the OOM killer, a host that went down) after a
	// replica synced from it and left, which Redis logs as warnings: the
	// plan said the log "last said: \"Connection with replica ... lost.\"",
	// as if that were why. It says the log ends without a word.
	s, root = startLocalLogging(t, pw)
	spec = localSpec(t, root, pw, s.Port, "")
	r := redistest.Start(t, pw, "--masterauth", pw, "--replicaof", "127.0.0.1", strconv.Itoa(s.Port))
	rc := redisconn.New(r.Addr, pw, 5*time.Second, 1)
	defer rc.Close()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		info, _ := rc.Info(ctx, "replication").Result()
		if strings.Contains(info, "master_link_status:up") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica %s did not sync from %s: %s", r.Addr, s.Addr, info)
		}
	}
	r.Kill(t)
	logged := func(what string) bool {
		b, _ := os.ReadFile(filepath.Join(root, "log", "n0.log"))
		return strings.Contains(string(b), what)
	}
	for deadline := time.Now().Add(10 * time.Second); !logged("Connection with replica"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the master did not log its replica's going")
		}
	}
	s.Kill(t)
	want = "; its log (" + filepath.Join(root, "log", "n0.log") + " on h) ends with no shutdown and no error: the process was killed (SIGKILL, the OOM killer?), or its host went down: start it"
	if got := reason(spec); !strings.HasPrefix(got, "stopped (") || !strings.HasSuffix(got, want) {
		t.Errorf("killed: reason %q; want it to end %q", got, want)
	}
}
