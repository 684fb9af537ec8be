package apply_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/plan"
	"github.com/roma-redis/roma/plan/plantest"
)

// TestUpgradedRedisIsRolled: a package upgrade replaces redis-server under
// running nodes, which go on running the old binary. The plan must see it
// and roll every node (a master handing over first) onto the installed
// binary, keeping the data; then it has nothing left to do. An installed
// Redis older than the running one is refused.
//
// The lab's last host gets a redis-server of its own on /usr/local/bin
// (first on sshd's PATH), inside its namespace only; the "upgrade" puts a
// new file in its place by rename, as dpkg does.
func TestUpgradedRedisIsRolled(t *testing.T) {
	l := lab.Shared(t)
	h := l.Hosts[len(l.Hosts)-1]
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	bin := filepath.Join(h.Root, "upgrade-bin") // /var/lib/roma/upgrade-bin in the host
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(bin) })
	install := func() {
		t.Helper()
		real, err := exec.LookPath("redis-server")
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(real)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bin, "redis-server.new"), b, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(bin, "redis-server.new"), filepath.Join(bin, "redis-server")); err != nil {
			t.Fatal(err)
		}
	}
	install()
	if _, err := h.Exec(ctx, "mount", "--bind", "/var/lib/roma/upgrade-bin", "/usr/local/bin"); err != nil {
		t.Fatal(err)
	}
	// Registered after destroyAtEnd below runs (cleanups run last first):
	// the nodes are gone before their binary is.
	t.Cleanup(func() {
		if _, err := h.Exec(context.Background(), "umount", "-l", "/usr/local/bin"); err != nil {
			t.Errorf("unmount: %v", err)
		}
	})

	spec := writeConfig(t, t.TempDir(), oneHost{cluster: "upgrade", partitions: 1, root: "/var/lib/roma/upgrade",
		nodes: []oneHostNode{{"u0", 7440, 0}, {"u1", 7441, 0}}, statusPort: 7495}.text(l))
	destroyAtEnd(t, &spec)
	mustConverge(t, spec)
	for _, name := range []string{"u0", "u1"} {
		exe, err := h.Exec(ctx, "readlink", fmt.Sprintf("/proc/%d/exe", pidOf(t, spec, name)))
		if err != nil || strings.TrimSpace(string(exe)) != "/usr/local/bin/redis-server" {
			t.Fatalf("%s runs %q (%v), not the test's /usr/local/bin/redis-server", name, exe, err)
		}
	}
	keys := plantest.Write(t, spec, "u0", "u", 300)

	install() // the upgrade
	before := pids(t, spec)
	st := plan.Observer{Dial: plantest.Dial}.Observe(ctx, spec)
	p := plan.Diff(spec, st, plan.Options{})
	version := st.Hosts[h.Name].Redis
	for _, addr := range []string{"node.u0", "node.u1", "status.upgrade-st"} {
		r := plantest.Find(p, addr)
		if r == nil || r.Action != plan.Restart || !slices.ContainsFunc(r.Changes, func(c plan.Change) bool { return c.Attr == "redis-server" }) ||
			!strings.Contains(strings.Join(r.Reasons, "; "), "the redis-server binary it runs was replaced on "+h.Name+" since it started (a package upgrade): restarted, it runs the installed Redis "+version) {
			t.Errorf("%s: %+v; want a restart onto the installed redis-server %s", addr, r, version)
		}
	}
	if len(p.Refusals) > 0 {
		t.Fatalf("refusals: %+v", p.Refusals)
	}

	// An installed Redis older than the running one: refused.
	old := plan.Observer{Dial: plantest.Dial}.Observe(ctx, spec)
	old.Hosts[h.Name].Redis = "6.0.20"
	refused := map[string]bool{}
	for _, n := range plan.Diff(spec, old, plan.Options{}).Refusals {
		if strings.Contains(n.Message, "but the redis-server installed on "+h.Name+" is 6.0.20, older") {
			refused[n.Address] = true
		}
	}
	if !refused["node.u0"] || !refused["node.u1"] {
		t.Errorf("a downgrade to 6.0.20 is not refused for both nodes: %v", refused)
	}

	mustConverge(t, spec)
	after := pids(t, spec)
	for name, pid := range before {
		if after[name] == pid {
			t.Errorf("%s was not restarted (pid %d)", name, pid)
		}
	}
	if missing := plantest.Missing(spec, "u0", keys) + plantest.Missing(spec, "u1", keys); missing > 0 {
		t.Errorf("%d keys lost in the roll", missing)
	}
}
