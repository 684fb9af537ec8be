package plan_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/plan"
	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/redisconn/redistest"
)

// TestServerRomaDidNotStart: a redis-server started by hand (or by
// another tool) without a conf file, at the address roma.hcl gives a
// node, was taken for that node with its settings changed outside roma:
// the plan would have set its password, restarted it under roma's files,
// and demoted it beside the partition's master, its data lost. The plan
// refuses it, saying what runs there, whether roma wrote a conf file for
// the node there or not: roma starts every node from its conf file. A
// server started from roma's conf file is roma's node.
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
	refusal := func(spec *cluster.Spec) string {
		p := plan.Diff(spec, plan.Observer{Dial: plantest.Dial}.Observe(ctx, spec), plan.Options{})
		for _, r := range p.Refusals {
			if r.Address == "node.n0" {
				return r.Message
			}
		}
		return ""
	}
	spec := localSpec(t, t.TempDir(), pw, s.Port, "")
	h, _ := spec.Host("h")
	conf := cluster.LayoutOf(h).Conf("n0")
	want := s.Addr + " is served by a redis-server started without a conf file (by hand, or by another tool; it holds 2 keys), not from " + conf +
		": roma does not take over a server it did not start for this node. Give n0 a free port, or stop that server"
	if got := refusal(spec); got != want {
		t.Errorf("roma's conf file on the host: refusal %q\nwant %q", got, want)
	}
	if err := os.Remove(conf); err != nil {
		t.Fatal(err)
	}
	if got := refusal(spec); got != want {
		t.Errorf("no conf file on the host: refusal %q\nwant %q", got, want)
	}
	if got, err := c.DBSize(ctx).Result(); err != nil || got != 2 {
		t.Errorf("keys after the plans: %d, %v; want 2", got, err)
	}

	ours, root := startLocal(t, pw)
	if got := refusal(localSpec(t, root, pw, ours.Port, "")); got != "" {
		t.Errorf("a server started from roma's conf file: refusal %q, want none", got)
	}
}
