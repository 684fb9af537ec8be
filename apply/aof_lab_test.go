package apply_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/roma-redis/roma/apply"
	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/plan/plantest"
)

// TestAOFSwitchKeepsData: Redis with appendonly yes reads no snapshot at
// start, and starts empty when there is no append-only file where its
// conf file says. A partition's only node, restarted in place:
//   - with AOF turned on together with a restart-only change, came back
//     empty (500 keys to 0): apply must turn AOF on at runtime first;
//   - with its AOF moved (appenddirname), would come back empty: the plan
//     must refuse, and apply, given the plan anyway, must not restart it.
func TestAOFSwitchKeepsData(t *testing.T) {
	l := lab.Shared(t)
	dir := t.TempDir()
	h := l.Hosts[len(l.Hosts)-1]
	config := func(redis string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "variable \"redis_password\" {\n  sensitive = true\n}\n\n")
		fmt.Fprintf(&b, "cluster \"aofswitch\" {\n  partitions = 1\n  password   = var.redis_password\n\n  redis {\n%s  }\n}\n\n", redis)
		fmt.Fprintf(&b, "host %q {\n  address = %q\n  service = \"process\"\n\n  ssh {\n    user          = \"root\"\n    port          = %d\n    identity_file = %q\n    known_hosts   = %q\n  }\n}\n\n",
			h.Name, h.Address, h.Port, l.IdentityFile, l.KnownHosts)
		fmt.Fprintf(&b, "node \"a0\" {\n  host      = %q\n  port      = 7430\n  partition = 0\n}\n\n", h.Name)
		fmt.Fprintf(&b, "status \"ast\" {\n  host = %q\n  port = 7494\n}\n", h.Name)
		return b.String()
	}
	spec := writeConfig(t, dir, config("    appendonly = \"no\"\n    save       = \"\"\n"))
	t.Cleanup(func() {
		if _, err := apply.Destroy(context.Background(), spec, true, apply.Options{Dial: plantest.Dial}); err != nil {
			t.Errorf("destroy: %v", err)
		}
	})
	mustConverge(t, spec)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := plantest.NodeClient(spec, "a0")
	defer c.Close()
	var keys []string
	for i := range 500 {
		k := fmt.Sprintf("a:%d", i)
		if err := c.Set(ctx, k, k, 0).Err(); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	before := pids(t, spec)["a0"]

	// AOF on, with a change that needs a restart.
	spec = writeConfig(t, dir, config("    appendonly  = \"yes\"\n    save        = \"\"\n    tcp-backlog = 256\n"))
	if _, err := runApply(t, ctx, spec, nil); err != nil {
		t.Fatalf("apply turning AOF on with a restart: %v", err)
	}
	if pids(t, spec)["a0"] == before {
		t.Fatalf("a0 was not restarted")
	}
	if missing := plantest.Missing(spec, "a0", keys); missing > 0 {
		t.Fatalf("a0 lacks %d of its %d keys after its restart with AOF turned on", missing, len(keys))
	}
	if info, err := c.Info(ctx, "persistence").Result(); err != nil || !strings.Contains(info, "aof_enabled:1") {
		t.Fatalf("a0 runs without AOF after the apply: %v", err)
	}
	if p := makePlan(t, spec); p.HasChanges() {
		t.Fatalf("plan after apply has changes: %+v", p.Resources)
	}

	// The AOF moves: refused, and a0 keeps running with its data.
	spec = writeConfig(t, dir, config("    appendonly    = \"yes\"\n    save          = \"\"\n    tcp-backlog   = 256\n    appenddirname = \"aof2\"\n"))
	p := makePlan(t, spec)
	if len(p.Refusals) != 1 || !strings.Contains(p.Refusals[0].Message, `a0 would start from an empty append-only file there, not from its data: Redis reads no snapshot when AOF is on, and its 500 keys would be lost`) {
		t.Fatalf("refusals: %+v, want the move of a0's AOF refused", p.Refusals)
	}
	running := pids(t, spec)["a0"]
	_, err := apply.Apply(ctx, spec, p, apply.Options{Dial: plantest.Dial, ReadyTimeout: 30 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "not restarted: with appenddirname \"aof2\"") {
		t.Fatalf("apply of the refused plan: %v, want a0 not restarted", err)
	}
	if pids(t, spec)["a0"] != running {
		t.Errorf("a0 was restarted")
	}
	if missing := plantest.Missing(spec, "a0", keys); missing > 0 {
		t.Errorf("a0 lacks %d of its %d keys", missing, len(keys))
	}
}
