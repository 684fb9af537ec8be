package plan_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/hclspec"
	"github.com/roma-redis/roma/plan"
	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/redisconf"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/redisconn/redistest"
	"github.com/roma-redis/roma/redisinfo"
)

// TestLoadingNodeIsNotRestarted: a node loading its dataset (a real
// redis-server, 1.5 million keys, its load made slow with key-load-delay)
// refuses PING with LOADING. The plan took it for a process that "runs
// but does not answer", and planned a restart, which would start its load
// over, and a REPLICAOF as for a node to be started. It must say instead
// that the node is loading, plan nothing for it or its partition, and be
// incomplete, so that apply changes nothing until the load is over.
func TestLoadingNodeIsNotRestarted(t *testing.T) {
	const pw = "loading-test-password"
	ctx := context.Background()
	s, root := startLocal(t, pw, "--enable-debug-command", "yes", "--key-load-delay", "-50")
	c := redisconn.New(s.Addr, pw, 30*time.Second, 1)
	defer c.Close()
	if err := c.Do(ctx, "DEBUG", "POPULATE", 1_500_000).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	s.Kill(t)
	s.Relaunch(t)

	spec := localSpec(t, root, pw, s.Port, "")
	st := plan.Observer{Dial: plantest.Dial}.Observe(ctx, spec)
	if info, err := c.Info(ctx, "persistence").Result(); err != nil || redisinfo.Parse(info)["loading"] != "1" {
		t.Fatalf("the node no longer loads after the plan observed it (%v): the test shows nothing (make the load slower)", err)
	}
	ns := st.Nodes["n0"]
	if ns == nil || !ns.Reachable || !ns.Loading || ns.LoadedPerc <= 0 || ns.LoadedPerc >= 100 {
		t.Fatalf("observed %+v, want reachable, loading, part of its dataset loaded", ns)
	}
	p := plan.Diff(spec, st, plan.Options{})
	unobserved := map[string]string{}
	for _, n := range p.Unobserved {
		unobserved[n.Address] = n.Message
	}
	if m := unobserved["node.n0"]; !strings.HasPrefix(m, "n0 at "+s.Addr+" is loading its dataset (") {
		t.Errorf("node.n0's note: %q, want it loading its dataset", m)
	}
	if m := unobserved["partition.0"]; !strings.Contains(m, "n0 is loading its dataset: the roles in partition 0 are known once it has loaded") {
		t.Errorf("partition.0's note: %q, want the roles unknown while n0 loads", m)
	}
	for _, r := range p.Resources {
		if r.Address == "node.n0" || r.Address == "partition.0" {
			t.Errorf("the plan changes %s while n0 loads: %q, steps %+v", r.Address, r.Reasons, r.Steps)
		}
	}
}

// TestShrinkingMaxmemoryWarns: roma.hcl sets maxmemory below what a
// master (a real redis-server) holds, with an eviction policy. The plan
// must say that keys go, and mark the node's change destructive; setting
// it, as apply does, then does evict them.
func TestShrinkingMaxmemoryWarns(t *testing.T) {
	const pw = "maxmemory-test-password"
	ctx := context.Background()
	s, root := startLocal(t, pw)
	c := redisconn.New(s.Addr, pw, 10*time.Second, 1)
	defer c.Close()
	pipe := c.Pipeline()
	for i := range 8000 {
		pipe.Set(ctx, fmt.Sprintf("k:%d", i), strings.Repeat(fmt.Sprintf("%08d", i), 128), 0) // 1KB
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	spec := localSpec(t, root, pw, s.Port, "  maxmemory        = \"4mb\"\n  maxmemory-policy = \"allkeys-lru\"\n")
	p := plan.Diff(spec, plan.Observer{Dial: plantest.Dial}.Observe(ctx, spec), plan.Options{})
	var node *plan.Resource
	for i, r := range p.Resources {
		if r.Address == "node.n0" {
			node = &p.Resources[i]
		}
	}
	if node == nil {
		t.Fatalf("no change to node.n0 in the plan: %+v", p.Resources)
	}
	want := "maxmemory 4mb is below the "
	var why string
	for _, r := range node.Reasons {
		if strings.HasPrefix(r, want) {
			why = r
		}
	}
	if !node.Destructive || !strings.Contains(why, "Redis evicts keys (allkeys-lru) as soon as it is set") {
		t.Fatalf("node.n0: destructive %v, reasons %q; want destructive, and keys evicted", node.Destructive, node.Reasons)
	}
	t.Logf("plan: %s", why)

	before, _ := c.DBSize(ctx).Result()
	if err := c.ConfigSet(ctx, "maxmemory-policy", "allkeys-lru").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.ConfigSet(ctx, "maxmemory", "4mb").Err(); err != nil {
		t.Fatal(err)
	}
	c.Set(ctx, "one-more", "x", 0) // a write runs the eviction, if the cron has not yet
	after, _ := c.DBSize(ctx).Result()
	if after >= before {
		t.Fatalf("keys before the new maxmemory: %d, after: %d; want fewer (the plan's warning would be wrong)", before, after)
	}
	t.Logf("keys: %d before, %d after", before, after)
}

// TestTooFewDatabasesRefused: a real redis-server holds keys in database
// 5; roma.hcl lowers databases to 4. Restarted so, Redis refuses its own
// data file and exits: the plan must refuse, naming the database.
func TestTooFewDatabasesRefused(t *testing.T) {
	const pw = "databases-test-password"
	ctx := context.Background()
	s, root := startLocal(t, pw)
	o := redisconn.Options(s.Addr, pw, 10*time.Second, 1)
	o.DB = 5
	c := redisconn.NewClient(o)
	defer c.Close()
	if err := c.Set(ctx, "in-db-5", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	spec := localSpec(t, root, pw, s.Port, "  databases = 4\n")
	p := plan.Diff(spec, plan.Observer{Dial: plantest.Dial}.Observe(ctx, spec), plan.Options{})
	want := "n0 holds keys in database 5 (1 key), and with databases = 4 Redis would refuse its data file at its next start and exit"
	for _, r := range p.Refusals {
		if r.Address == "node.n0" && strings.HasPrefix(r.Message, want) {
			return
		}
	}
	t.Fatalf("refusals: %+v, want %q", p.Refusals, want)
}

// startLocal starts a redis-server with password pw and args, as roma's
// node n0 of a localSpec under the root it returns: from n0's conf file
// there (INFO config_file gives it), as apply starts a node; localSpec
// then writes that file's content.
func startLocal(t *testing.T, pw string, args ...string) (*redistest.Server, string) {
	t.Helper()
	root := t.TempDir()
	return startIn(t, root, pw, args...), root
}

// startLocalLogging is startLocal with DEBUG allowed, and the server's
// log where roma's conf file puts n0's (root/log/n0.log), where a plan
// reads it.
func startLocalLogging(t *testing.T, pw string) (*redistest.Server, string) {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "log"), 0o755); err != nil {
		t.Fatal(err)
	}
	return startIn(t, root, pw, "--enable-debug-command", "yes", "--logfile", filepath.Join(root, "log", "n0.log")), root
}

// startIn is startLocal under root.
func startIn(t *testing.T, root, pw string, args ...string) *redistest.Server {
	t.Helper()
	conf := filepath.Join(root, "conf", "n0.conf")
	if err := os.MkdirAll(filepath.Dir(conf), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return redistest.StartFrom(t, conf, pw, args...)
}

// localSpec is a roma.hcl of one partition whose only node is the
// redis-server at 127.0.0.1:port, under root on a host reached without
// SSH, with the password pw and redis, the lines of a redis block ("" for
// none). It writes the node's conf file under root, as apply does.
func localSpec(t *testing.T, root, pw string, port int, redis string) *cluster.Spec {
	t.Helper()
	block := ""
	if redis != "" {
		block = "  redis {\n" + redis + "  }\n"
	}
	src := fmt.Sprintf(`
cluster "c" {
  partitions = 1
  hash       = "jump"
  password   = %q
%s}
host "h" {
  address   = "127.0.0.1"
  transport = "local"
  root      = %q
  service   = "process"
}
node "n0" {
  host      = "h"
  port      = %d
  partition = 0
}
`, pw, block, root, port)
	cfg, diags := hclspec.LoadSource([]byte(src), "roma.hcl", t.TempDir(), hclspec.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	n, _ := cfg.Spec.Node("n0")
	h, _ := cfg.Spec.Host("h")
	conf := cluster.LayoutOf(h).Conf("n0")
	if err := os.MkdirAll(filepath.Dir(conf), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, redisconf.Render(cfg.Spec, redisconf.DataTarget(cfg.Spec, n)), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg.Spec
}
