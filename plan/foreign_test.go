package plan_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/plan"
	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/redisconn/redistest"
)

// TestServerRomaDidNotStart: a redis-server started by hand (or by
// another tool) without a conf file, at the address roma.hcl gives a new
// node, for which roma wrote no conf file, was taken for that node with
// its settings changed outside roma: the plan would have set its
// password, restarted it under roma's files, and demoted it beside the
// partition's master, its data lost. The plan refuses it, saying what
// runs there. With roma's conf file on the host, it is roma's node
// (its conf file deleted and rewritten, or started by hand after a
// crash), and the plan goes on.
func TestServerRomaDidNotStart(t *testing.T) {
	const pw = "foreign-test-password"
	ctx := context.Background()
	s := redistest.Start(t, pw)
	c := redisconn.New(s.Addr, pw, 10*time.Second, 1)
	defer c.Close()
	for _, k := range []string{"app:1", "app:2"} {
		if err := c.Set(ctx, k, "theirs", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	spec := localSpec(t, pw, s.Port, "")
	h, _ := spec.Host("h")
	conf := cluster.LayoutOf(h).Conf("n0")
	want := s.Addr + " is served by a redis-server started without a conf file (by hand, or by another tool; it holds 2 keys), not from " + conf +
		": roma does not take over a server it did not start for this node. Give n0 a free port, or stop that server"
	refused := func() bool {
		p := plan.Diff(spec, plan.Observer{Dial: plantest.Dial}.Observe(ctx, spec), plan.Options{})
		for _, r := range p.Refusals {
			if r.Address == "node.n0" && strings.Contains(r.Message, "started without a conf file") {
				if r.Message != want {
					t.Errorf("refusal: %q\nwant %q", r.Message, want)
				}
				return true
			}
		}
		return false
	}
	rendered, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(conf); err != nil {
		t.Fatal(err)
	}
	if !refused() {
		t.Errorf("no conf file on the host: the plan does not refuse the server at %s", s.Addr)
	}
	if got, err := c.DBSize(ctx).Result(); err != nil || got != 2 {
		t.Errorf("keys after the plan: %d, %v; want 2", got, err)
	}
	if err := os.WriteFile(conf, rendered, 0o600); err != nil {
		t.Fatal(err)
	}
	if refused() {
		t.Errorf("roma's conf file on the host: the plan refuses the server at %s", s.Addr)
	}
}
