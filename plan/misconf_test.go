package plan_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/plan"
	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/redisconf"
	"github.com/roma-redis/roma/redisconn"
)

// TestNodeRefusingPingSaysWhy: a node whose disk fails it (here its data
// directory is gone, so a save cannot write) refuses every write and
// PING with MISCONF. The plan called its process one that "runs but does
// not answer", which sends an operator looking for a hung server; it must
// quote what the node answered.
func TestNodeRefusingPingSaysWhy(t *testing.T) {
	const pw = "misconf-test-password"
	ctx := context.Background()
	s, root := startLocal(t, pw, "--enable-protected-configs", "yes", "--save", "3600 1")
	pid := plantest.ServerPid(t, redisconn.New(s.Addr, pw, 10*time.Second, 1), "n0") // before MISCONF refuses INFO
	c := redisconn.New(s.Addr, pw, 10*time.Second, 1)
	defer c.Close()
	gone := filepath.Join(t.TempDir(), "gone")
	if err := os.Mkdir(gone, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := c.ConfigSet(ctx, "dir", gone).Err(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.BgSave(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		err := c.Ping(ctx).Err()
		if err != nil && strings.HasPrefix(err.Error(), "MISCONF") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("PING after a failed save: %v, want MISCONF", err)
		}
	}
	spec := localSpec(t, root, pw, s.Port, "")
	h, _ := spec.Host("h")
	pidfile := cluster.LayoutOf(h).Pid("n0")
	if err := os.MkdirAll(filepath.Dir(pidfile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pidfile, fmt.Appendf(nil, "%d\n", pid), 0o644); err != nil {
		t.Fatal(err)
	}
	// Its conf file, as apply wrote it.
	conf := cluster.LayoutOf(h).Conf("n0")
	if err := os.MkdirAll(filepath.Dir(conf), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, redisconf.Render(spec, redisconf.DataTarget(spec, spec.Nodes[0])), 0o600); err != nil {
		t.Fatal(err)
	}
	p := plan.Diff(spec, plan.Observer{Dial: plantest.Dial}.Observe(ctx, spec), plan.Options{})
	r := plantest.Find(p, "node.n0")
	want := fmt.Sprintf("its process (pid %d) runs but does not answer at %s: MISCONF ", pid, s.Addr)
	if r == nil || len(r.Reasons) == 0 || !strings.HasPrefix(r.Reasons[0], want) {
		t.Fatalf("node.n0: %+v; want its first reason to start %q", r, want)
	}
	if tail := "it cannot save its data (see " + cluster.LayoutOf(h).Log("n0") + " on h). apply restarts it without saving if another node is its partition's master, which holds its data; if none is, apply leaves it running"; !strings.Contains(r.Reasons[0], tail) {
		t.Errorf("node.n0's first reason: %q; want it to say %q", r.Reasons[0], tail)
	}
	if strings.Contains(r.Reasons[0], pw) {
		t.Errorf("the reason shows the password: %q", r.Reasons[0])
	}
}

// TestPausedNodeIsRestarted: a node whose process runs but says nothing
// (paused here; a stalled disk does the same) is repaired by a restart,
// and the plan says so, not "start it".
func TestPausedNodeIsRestarted(t *testing.T) {
	const pw = "paused-test-password"
	ctx := context.Background()
	s, root := startLocal(t, pw)
	pid := plantest.ServerPid(t, redisconn.New(s.Addr, pw, 10*time.Second, 1), "n0")
	spec := localSpec(t, root, pw, s.Port, "")
	h, _ := spec.Host("h")
	for path, data := range map[string][]byte{
		cluster.LayoutOf(h).Pid("n0"):  fmt.Appendf(nil, "%d\n", pid),
		cluster.LayoutOf(h).Conf("n0"): redisconf.Render(spec, redisconf.DataTarget(spec, spec.Nodes[0])),
	} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGCONT) }) // before the server's own cleanup stops it
	p := plan.Diff(spec, plan.Observer{Dial: plantest.Dial, Timeout: 2 * time.Second}.Observe(ctx, spec), plan.Options{})
	r := plantest.Find(p, "node.n0")
	want := fmt.Sprintf("its process (pid %d) runs but does not answer at %s", pid, s.Addr)
	if r == nil || len(r.Reasons) == 0 || !strings.HasPrefix(r.Reasons[0], want) || !strings.HasSuffix(r.Reasons[0], ": restart it") {
		t.Fatalf("node.n0: %+v; want its first reason to start %q and end %q", r, want, ": restart it")
	}
	if !slices.Contains(r.Steps, plan.Step{Op: "restart", Node: "n0"}) {
		t.Errorf("node.n0's steps %v: want a restart", r.Steps)
	}
}
