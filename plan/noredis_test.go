package plan_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/roma-redis/roma/hclspec"
	"github.com/roma-redis/roma/plan"
	"github.com/roma-redis/roma/plan/plantest"
)

// TestNoRedisServerOnHost: a new host where redis-server is not installed
// yet. Its plan is refused once, for the host, saying what to install;
// before, each of its nodes was refused with the shell's "redis-server:
// not found", one line per node, and a separate note said it again. A
// host that runs only romad needs no redis-server and gets nothing. The
// hosts are local ones whose shell has a PATH with everything of this
// machine's but redis-server and its tools.
func TestNoRedisServerOnHost(t *testing.T) {
	ctx := context.Background()
	src := fmt.Sprintf(`
cluster "c" {
  partitions = 1
  password   = "no-redis-test-password"
}
host "h" {
  address   = "127.0.0.1"
  transport = "local"
  root      = %q
  service   = "process"
}
host "m" {
  address   = "127.0.0.2"
  transport = "local"
  root      = %q
  service   = "process"
}
node "n0" {
  host      = "h"
  port      = 7477
  partition = 0
}
node "n1" {
  host      = "h"
  port      = 7478
  partition = 0
}
status "s" {
  host = "h"
  port = 7479
}
romad {
  hosts     = ["m"]
  http_port = 7476
}
`, t.TempDir(), t.TempDir())
	cfg, diags := hclspec.LoadSource([]byte(src), "roma.hcl", t.TempDir(), hclspec.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	spec := cfg.Spec
	// The romad to install: plan only reads its digest.
	romad := t.TempDir()
	if err := os.WriteFile(filepath.Join(romad, "romad"), []byte("romad"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(plan.RomadDirEnv, romad)
	planned := func() *plan.Plan {
		p := plan.Diff(spec, plan.Observer{Dial: plantest.Dial}.Observe(ctx, spec), plan.Options{})
		plan.Check(ctx, plantest.Dial, spec, p, 0)
		return p
	}

	t.Run("installed", func(t *testing.T) {
		p := planned()
		if len(p.Refusals) != 0 || len(p.Notes) != 0 {
			t.Errorf("refusals %+v, notes %+v; want none", p.Refusals, p.Notes)
		}
	})

	t.Run("not installed", func(t *testing.T) {
		t.Setenv("PATH", pathWithout(t, "redis-"))
		p := planned()
		want := []plan.Note{{Address: "host.h", Message: "redis-server is not installed on h: command not found on the PATH of its shell; " +
			"install it (Debian: apt-get install redis-server); apply would stop before changing anything"}}
		if d := cmp.Diff(want, p.Refusals); d != "" {
			t.Errorf("refusals (-want +got):\n%s", d)
		}
		for _, n := range p.Notes {
			if strings.Contains(n.Message, "redis-server") {
				t.Errorf("note %+v: a missing redis-server is a refusal, and only on a host whose nodes need it", n)
			}
		}
	})
}

// pathWithout returns a PATH of one directory holding links to every
// program of this machine's PATH but those whose name starts with prefix.
func pathWithout(t *testing.T, prefix string) string {
	dir := t.TempDir()
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		entries, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), prefix) {
				continue
			}
			if _, err := os.Lstat(filepath.Join(dir, e.Name())); err == nil {
				continue // an earlier directory's wins, as in PATH
			}
			if err := os.Symlink(filepath.Join(d, e.Name()), filepath.Join(dir, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}
