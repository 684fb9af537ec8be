package plan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/plan"
	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/remote"
)

func TestMain(m *testing.M) { os.Exit(lab.Main(m, lab.Options{Hosts: 4})) }

func observe(t *testing.T, spec *cluster.Spec) *plan.Plan {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st := plan.Observer{Dial: plantest.Dial}.Observe(ctx, spec)
	p := plan.Diff(spec, st, plan.Options{})
	var out bytes.Buffer
	if err := plan.WriteHuman(&out, p, plan.HumanOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Logf("plan:\n%s", out.String())
	checkNoSecret(t, p)
	return p
}

// checkNoSecret renders p every way it can be rendered and fails if the
// password shows in any of them.
func checkNoSecret(t *testing.T, p *plan.Plan) {
	t.Helper()
	var human, js bytes.Buffer
	_ = plan.WriteHuman(&human, p, plan.HumanOptions{Color: true})
	_ = plan.WriteJSON(&js, p)
	file, err := plan.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	for what, b := range map[string][]byte{"human": human.Bytes(), "json": js.Bytes(), "plan file": file} {
		if bytes.Contains(b, []byte(plantest.Password)) {
			t.Errorf("the password shows in the %s view:\n%s", what, b)
		}
	}
}

func mustFind(t *testing.T, p *plan.Plan, addr string, action plan.Action, drift bool) *plan.Resource {
	t.Helper()
	r := plantest.Find(p, addr)
	if r == nil {
		t.Fatalf("plan has no %s; resources: %v", addr, addresses(p))
	}
	if r.Action != action || r.Drift != drift {
		t.Fatalf("%s: action %s drift %v, want %s drift %v (reasons %q)", addr, r.Action, r.Drift, action, drift, r.Reasons)
	}
	return r
}

func addresses(p *plan.Plan) []string {
	var out []string
	for _, r := range p.Resources {
		out = append(out, r.Address+"="+string(r.Action))
	}
	return out
}

func TestPlanLab(t *testing.T) {
	l := lab.Shared(t)
	dir := plantest.Config(t, l, 3, "")
	spec := plantest.Load(t, dir)
	ctx := context.Background()

	t.Run("empty hosts: everything to create", func(t *testing.T) {
		p := observe(t, spec)
		for _, h := range spec.Hosts {
			mustFind(t, p, "host."+h.Name, plan.Create, false)
		}
		for _, n := range spec.Nodes {
			mustFind(t, p, "node."+n.Name, plan.Create, false)
		}
		mustFind(t, p, "status.st1", plan.Create, false)
		for i := 0; i < spec.Partitions; i++ {
			mustFind(t, p, fmt.Sprintf("partition.%d", i), plan.Create, false)
		}
		add, change, destroy := p.Counts()
		want := len(spec.Hosts) + len(spec.Nodes) + 1 + spec.Partitions
		if add != want || change != 0 || destroy != 0 {
			t.Errorf("counts %d/%d/%d, want %d/0/0", add, change, destroy, want)
		}
		if len(p.Unobserved) != 0 {
			t.Errorf("unobserved: %v", p.Unobserved)
		}
	})

	// What a host tells of itself: with no node running, redis-server
	// --version gives the version.
	observeState := func(t *testing.T) *plan.State {
		t.Helper()
		octx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		return plan.Observer{Dial: plantest.Dial}.Observe(octx, spec)
	}
	installed := redisServerVersion(t)
	t.Run("host facts, no node running", func(t *testing.T) {
		st := observeState(t)
		for _, h := range spec.Hosts {
			hs := st.Hosts[h.Name]
			if hs == nil || !hs.Reachable || hs.OS != "Linux" || hs.Arch == "" || hs.Redis != installed {
				t.Errorf("host %s: %+v; want reachable, Linux, redis %s", h.Name, hs, installed)
			}
		}
	})

	if err := plantest.Bootstrap(ctx, spec); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}

	// With nodes running, the version is the one they report; every node's
	// service is running under the pid in its pidfile; a pidfile whose
	// process is not Redis is stale.
	t.Run("host facts, nodes running", func(t *testing.T) {
		h := spec.Hosts[0]
		tr, err := plantest.Dial(ctx, h)
		must(t, err)
		defer tr.Close()
		ghost := cluster.LayoutOf(h).Pid("ghost")
		// A sleep's pid: a process, but not Redis.
		_, err = tr.Run(ctx, "sleep 60 >/dev/null 2>&1 </dev/null & echo $! > "+remote.ShellQuote(ghost))
		must(t, err)
		defer tr.Run(ctx, "kill $(cat "+remote.ShellQuote(ghost)+"); rm -f "+remote.ShellQuote(ghost))
		st := observeState(t)
		for _, hh := range spec.Hosts {
			if hs := st.Hosts[hh.Name]; hs == nil || hs.Redis != installed {
				t.Errorf("host %s: redis %q, want %s (from its nodes)", hh.Name, hs.Redis, installed)
			}
		}
		hs := st.Hosts[h.Name]
		for _, n := range spec.Nodes {
			if n.Host != h.Name {
				continue
			}
			if ss := hs.Services[n.Name]; ss == nil || !ss.Running || ss.Pid == 0 {
				t.Errorf("service %s on %s: %+v, want running", n.Name, h.Name, ss)
			}
		}
		if ss := hs.Services["ghost"]; ss == nil || ss.Running || !strings.Contains(ss.Detail, "stale pidfile") {
			t.Errorf("service ghost (a sleep's pid): %+v, want not running, stale pidfile", ss)
		}
	})

	converged := func(t *testing.T) {
		t.Helper()
		p := observe(t, spec)
		if p.HasChanges() {
			t.Fatalf("plan of a converged cluster has changes: %v", addresses(p))
		}
	}
	t.Run("converged: no changes", converged)

	first := spec.PartitionNodes(0)[0]
	second := spec.PartitionNodes(0)[1]

	t.Run("config set by hand", func(t *testing.T) {
		c := plantest.NodeClient(spec, first.Name)
		defer c.Close()
		must(t, c.ConfigSet(ctx, "maxmemory", "1mb").Err())
		must(t, c.ConfigSet(ctx, "hz", "50").Err()) // not declared: Redis default is 10
		p := observe(t, spec)
		r := mustFind(t, p, "node."+first.Name, plan.Repair, true)
		got := map[string]plan.Change{}
		for _, c := range r.Changes {
			got[c.Attr] = c
		}
		if c := got["maxmemory"]; c.Old != "1048576" || c.New != "64mb" || !c.Drift || c.Restart {
			t.Errorf("maxmemory change = %+v", c)
		}
		if c := got["hz"]; c.Old != "50" || c.New != "10" || !c.Drift {
			t.Errorf("hz change = %+v", c)
		}
		must(t, c.ConfigSet(ctx, "maxmemory", "64mb").Err())
		must(t, c.ConfigSet(ctx, "hz", "10").Err())
		converged(t)
	})

	t.Run("conf file edited by hand", func(t *testing.T) {
		h, _ := spec.Host(first.Host)
		tr, err := plantest.Dial(ctx, h)
		must(t, err)
		defer tr.Close()
		path := cluster.LayoutOf(h).Conf(first.Name)
		orig, err := tr.ReadFile(ctx, path)
		must(t, err)
		must(t, tr.WriteFile(ctx, path, append(append([]byte{}, orig...), "maxmemory-samples 7\n"...), 0o600))
		p := observe(t, spec)
		r := mustFind(t, p, "node."+first.Name, plan.Repair, true)
		if len(r.Changes) != 1 || r.Changes[0].Attr != "maxmemory-samples" || !r.Changes[0].NewNull {
			t.Errorf("changes = %+v", r.Changes)
		}
		must(t, tr.WriteFile(ctx, path, orig, 0o600))
		converged(t)
	})

	t.Run("stopped node", func(t *testing.T) {
		c := plantest.NodeClient(spec, second.Name)
		_ = c.Shutdown(ctx).Err() // the connection drops: an error is expected
		c.Close()
		p := observe(t, spec)
		r := mustFind(t, p, "node."+second.Name, plan.Repair, true)
		if r.Steps[len(r.Steps)-1].Op != "start" {
			t.Errorf("steps = %+v, want a start", r.Steps)
		}
		restart(t, spec, second)
		converged(t)
	})

	t.Run("replica follows the wrong master", func(t *testing.T) {
		other := spec.PartitionNodes(1)[0]
		c := plantest.NodeClient(spec, second.Name)
		defer c.Close()
		oh, _ := spec.Host(other.Host)
		must(t, c.ReplicaOf(ctx, oh.Address, fmt.Sprint(other.Port)).Err())
		p := observe(t, spec)
		r := mustFind(t, p, "partition.0", plan.Repair, true)
		if !strings.Contains(strings.Join(r.Reasons, " "), second.Name+" follows "+other.Name) {
			t.Errorf("reasons = %q", r.Reasons)
		}
		follow(t, spec, second, first)
		converged(t)
	})

	t.Run("two masters", func(t *testing.T) {
		c := plantest.NodeClient(spec, second.Name)
		defer c.Close()
		must(t, c.ReplicaOf(ctx, "no", "one").Err())
		p := observe(t, spec)
		r := mustFind(t, p, "partition.0", plan.Repair, true)
		if !r.Destructive || !strings.Contains(strings.Join(r.Reasons, " "), "2 masters") {
			t.Errorf("two masters: destructive %v reasons %q", r.Destructive, r.Reasons)
		}
		follow(t, spec, second, first)
		converged(t)
	})

	t.Run("no master", func(t *testing.T) {
		// The master follows its own replica: both are replicas.
		follow(t, spec, first, second)
		p := observe(t, spec)
		r := mustFind(t, p, "partition.0", plan.Repair, true)
		if !strings.Contains(strings.Join(r.Reasons, " "), "no master") {
			t.Errorf("reasons = %q", r.Reasons)
		}
		c := plantest.NodeClient(spec, first.Name)
		must(t, c.ReplicaOf(ctx, "no", "one").Err())
		c.Close()
		follow(t, spec, second, first)
		converged(t)
	})

	t.Run("failover is not drift", func(t *testing.T) {
		c := plantest.NodeClient(spec, second.Name)
		must(t, c.ReplicaOf(ctx, "no", "one").Err())
		c.Close()
		follow(t, spec, first, second)
		p := observe(t, spec)
		if p.HasChanges() {
			t.Fatalf("a failover shows as changes: %v", addresses(p))
		}
		if len(p.Notes) == 0 || !strings.Contains(p.Notes[0].Message, "after a failover") {
			t.Errorf("notes = %v, want the failover reported", p.Notes)
		}
		c = plantest.NodeClient(spec, first.Name)
		must(t, c.ReplicaOf(ctx, "no", "one").Err())
		c.Close()
		follow(t, spec, second, first)
		converged(t)
	})

	t.Run("settings change in roma.hcl", func(t *testing.T) {
		dir2 := plantest.Config(t, l, 3, "")
		b, _ := os.ReadFile(dir2 + "/roma.hcl")
		// tcp-backlog and lfu-log-factor: settings the conf files never
		// had and a plan does not watch, new in roma.hcl. Not drift: the
		// running value is not CONFIG SET by hand (tcp-backlog cannot
		// be), it is what the file left to Redis.
		b = bytes.Replace(b, []byte(`maxmemory        = "64mb"`), []byte(`maxmemory        = "128mb"
    databases        = 32
    tcp-backlog      = 256
    lfu-log-factor   = 20`), 1)
		must(t, os.WriteFile(dir2+"/roma.hcl", b, 0o644))
		spec2 := plantest.Load(t, dir2)
		p := observe(t, spec2)
		r := mustFind(t, p, "node."+first.Name, plan.Restart, false)
		var restartOnly, runtime, unwatched int
		for _, c := range r.Changes {
			if c.Drift {
				t.Errorf("%s: a change of roma.hcl shown as drift: %+v", first.Name, c)
			}
			if c.Attr == "databases" && c.Restart || c.Attr == "tcp-backlog" && c.Restart && c.New == "256" {
				restartOnly++
			}
			if c.Attr == "maxmemory" && !c.Restart && c.Old == "64mb" && c.New == "128mb" {
				runtime++
			}
			if c.Attr == "lfu-log-factor" && !c.Restart && c.New == "20" {
				unwatched++
			}
		}
		if restartOnly != 2 || runtime != 1 || unwatched != 1 {
			t.Errorf("changes = %+v", r.Changes)
		}
	})

	t.Run("a value the hosts' redis-server refuses, or a module not there, is a refusal", func(t *testing.T) {
		// Check has each host's redis-server read the files apply would
		// write: validate lets "lots" through (it checks the form of
		// common directives only), Redis does not. A file it accepts, and
		// a plan with nothing to write, give no refusal.
		dir2 := plantest.Config(t, l, 3, "")
		b, _ := os.ReadFile(dir2 + "/roma.hcl")
		must(t, os.WriteFile(dir2+"/roma.hcl", bytes.Replace(b, []byte(`maxmemory        = "64mb"`), []byte(`maxmemory        = "64mb"
    tcp-backlog      = "lots"`), 1), 0o644))
		bad := plantest.Load(t, dir2)
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		p := observe(t, bad)
		plan.Check(ctx, plantest.Dial, bad, p, 0)
		if len(p.Refusals) != len(bad.Nodes) {
			t.Fatalf("refusals %+v; want one per data node", p.Refusals)
		}
		for i, r := range p.Refusals {
			want := `the conf file roma.hcl gives ` + strings.TrimPrefix(r.Address, "node.") + `: redis-server refuses the line "tcp-backlog lots": argument couldn't be parsed into an integer`
			if !strings.HasPrefix(r.Address, "node.") || !strings.Contains(r.Message, want) || strings.Contains(r.Message, plantest.Password) {
				t.Errorf("refusal %d: %+v; want %q", i, r, want)
			}
		}
		must(t, os.WriteFile(dir2+"/roma.hcl", bytes.Replace(b, []byte(`maxmemory        = "64mb"`), []byte(`maxmemory        = "64mb"
    tcp-backlog      = 256`), 1), 0o644))
		good := plantest.Load(t, dir2)
		p = observe(t, good)
		plan.Check(ctx, plantest.Dial, good, p, 0)
		if len(p.Refusals) != 0 || !p.HasChanges() {
			t.Errorf("a restart-only value Redis accepts: refusals %+v, changes %v; want none, and changes", p.Refusals, p.HasChanges())
		}
		// A module Redis would load only once started: its file must be on
		// the host, and load.
		must(t, os.WriteFile(dir2+"/roma.hcl", bytes.Replace(b, []byte(`maxmemory        = "64mb"`), []byte(`maxmemory        = "64mb"
    loadmodule       = ["/bin/sh", "/nonexistent/roma-module.so arg1"]`), 1), 0o644))
		mod := plantest.Load(t, dir2)
		p = observe(t, mod)
		plan.Check(ctx, plantest.Dial, mod, p, 0)
		if len(p.Refusals) != len(mod.Nodes) {
			t.Fatalf("refusals %+v; want one per data node", p.Refusals)
		}
		for i, r := range p.Refusals {
			n := strings.TrimPrefix(r.Address, "node.")
			nd, _ := mod.Node(n)
			want := `the conf file roma.hcl gives ` + n + `: loadmodule /nonexistent/roma-module.so: no such readable file on ` + nd.Host + `, so redis-server would not start`
			if !strings.Contains(r.Message, want) {
				t.Errorf("refusal %d: %+v; want %q", i, r, want)
			}
		}
		must(t, os.WriteFile(dir2+"/roma.hcl", bytes.Replace(b, []byte(`maxmemory        = "64mb"`), []byte(`maxmemory        = "64mb"
    loadmodule       = ["/bin/sh"]`), 1), 0o644))
		mod = plantest.Load(t, dir2)
		p = observe(t, mod)
		plan.Check(ctx, plantest.Dial, mod, p, 0)
		if len(p.Refusals) != len(mod.Nodes) {
			t.Fatalf("a module file that is there but does not load: refusals %+v; want one per data node", p.Refusals)
		}
		for i, r := range p.Refusals {
			n := strings.TrimPrefix(r.Address, "node.")
			want := `the conf file roma.hcl gives ` + n + `: redis-server would not start: Module /bin/sh failed to load`
			if !strings.Contains(r.Message, want) {
				t.Errorf("refusal %d: %+v; want %q", i, r, want)
			}
		}

		p = observe(t, spec)
		plan.Check(ctx, func(context.Context, cluster.Host) (remote.Transport, error) {
			t.Error("Check dialled a host for a plan that writes no conf file")
			return nil, errors.New("no dial")
		}, spec, p, 0)
		if len(p.Refusals) != 0 {
			t.Errorf("converged cluster: refusals %+v", p.Refusals)
		}
	})

	// A roma.hcl copied for a new cluster, its hosts, root and node names
	// left as they were (or its cluster renamed), finds the first
	// cluster's nodes where it puts its own: they are refused, not
	// rewritten, in one refusal for the cluster (it was one per node, each
	// also planned with its conf file's header rewritten), and nothing is
	// planned for them.
	t.Run("another cluster's nodes are refused", func(t *testing.T) {
		other := *spec
		other.Name = "othercluster"
		p := observe(t, &other)
		n := len(spec.Nodes) + len(spec.Status)
		want := fmt.Sprintf(`roma.hcl declares cluster "othercluster", and every conf file its nodes have on the hosts (%d, on `, n)
		if len(p.Refusals) != 1 || p.Refusals[0].Address != "cluster.othercluster" || !strings.HasPrefix(p.Refusals[0].Message, want) ||
			!strings.Contains(p.Refusals[0].Message, `) belongs to cluster "labtest" (was the cluster renamed in roma.hcl?): roma does not take over another cluster's nodes`) {
			t.Fatalf("refusals %+v; want one for cluster.othercluster, %q…", p.Refusals, want)
		}
		for _, r := range p.Resources {
			if r.Kind == "node" || r.Kind == "status" {
				t.Errorf("planned for another cluster's node: %s %s %q", r.Address, r.Action, r.Reasons)
			}
		}
		if p := observe(t, spec); len(p.Refusals) != 0 {
			t.Errorf("its own cluster: refusals %+v", p.Refusals)
		}
	})

	// The server at a node's address must be the one roma started for
	// it: not another node's (renamed in roma.hcl), nor one started by
	// hand from a file of its own. Restarted with the node's file, it
	// would come back with another data directory.
	t.Run("a server roma did not start for the node is refused", func(t *testing.T) {
		renamed := *spec
		renamed.Nodes = slices.Clone(spec.Nodes)
		old := renamed.Nodes[0]
		renamed.Nodes[0].Name = "renamed-node"
		p := observe(t, &renamed)
		found := false
		for _, r := range p.Refusals {
			if r.Address == "node.renamed-node" {
				found = true
				want := fmt.Sprintf(`is served by node %s of cluster "labtest", started from `, old.Name)
				if !strings.Contains(r.Message, want) || !strings.Contains(r.Message, "roma does not take over a server it did not start for this node") {
					t.Errorf("refusal %+v; want %q", r, want)
				}
			}
		}
		if !found {
			t.Errorf("refusals %+v; want one for node.renamed-node", p.Refusals)
		}

		h, _ := spec.Host(old.Host)
		ln, err := net.Listen("tcp", net.JoinHostPort(h.Address, "0"))
		must(t, err)
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		tmp := t.TempDir()
		conf := tmp + "/by-hand.conf"
		must(t, os.WriteFile(conf, []byte(fmt.Sprintf("port %d\nbind %s\nrequirepass %s\ndir %s\nsave \"\"\nappendonly no\n", port, h.Address, plantest.Password, tmp)), 0o600))
		cmd := exec.Command("redis-server", conf)
		must(t, cmd.Start())
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		addr := net.JoinHostPort(h.Address, strconv.Itoa(port))
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if c, err := net.Dial("tcp", addr); err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the redis-server started by hand does not listen on %s", addr)
			}
		}
		byHand := *spec
		name := fmt.Sprintf("%s-%d", h.Name, port)
		byHand.Nodes = append(slices.Clone(spec.Nodes), cluster.Node{Name: name, Host: h.Name, Port: port, Partition: 0})
		p = observe(t, &byHand)
		want := fmt.Sprintf("%s is served by a redis-server that is not %s's, started from %s, not from ", addr, name, conf)
		found = false
		for _, r := range p.Refusals {
			if r.Address == "node."+name {
				found = true
				if !strings.Contains(r.Message, want) {
					t.Errorf("refusal %+v; want %q", r, want)
				}
			}
		}
		if !found {
			t.Errorf("refusals %+v; want one for node.%s", p.Refusals, name)
		}
		// The host's root moved in roma.hcl: the servers run from the
		// old root's files.
		moved := *spec
		moved.Hosts = slices.Clone(spec.Hosts)
		for i := range moved.Hosts {
			moved.Hosts[i].Root += "-moved"
		}
		p = observe(t, &moved)
		if want := len(spec.Nodes) + len(spec.Status); len(p.Refusals) != want {
			t.Errorf("root moved: refusals %+v; want %d, one per node", p.Refusals, want)
		}
		for _, r := range p.Refusals {
			if !strings.Contains(r.Message, "the host's root changed in roma.hcl, and roma cannot move a node's files") {
				t.Errorf("root moved: refusal %+v", r)
			}
		}
		if p := observe(t, spec); len(p.Refusals) != 0 {
			t.Errorf("the cluster as roma.hcl declares it: refusals %+v", p.Refusals)
		}
	})

	t.Run("partition count change is refused", func(t *testing.T) {
		spec2 := plantest.Load(t, plantest.Config(t, l, 4, ""))
		p := observe(t, spec2)
		if len(p.Refusals) != 1 || !strings.Contains(p.Refusals[0].Message, "25.0") {
			t.Errorf("refusals = %v", p.Refusals)
		}
	})

	// A node roma.hcl moves to another partition holds the keys of its
	// own, and may be its master: the plan is refused, and neither
	// partition is judged by roma.hcl's new membership (no "no master:
	// promote", no "two masters: demote").
	t.Run("a node moved to another partition is refused", func(t *testing.T) {
		moved := *spec
		moved.Nodes = slices.Clone(spec.Nodes)
		var name string
		for i, n := range moved.Nodes {
			if n.Partition == 0 && name == "" {
				name = n.Name
				moved.Nodes[i].Partition = 1
			}
		}
		p := observe(t, &moved)
		if len(p.Refusals) != 1 || !strings.Contains(p.Refusals[0].Message, name+" moves from partition 0 to partition 1") {
			t.Errorf("refusals = %v, want one for %s", p.Refusals, name)
		}
		for _, r := range p.Resources {
			if r.Kind == "partition" {
				t.Errorf("the plan changes %s: %v", r.Address, r.Reasons)
			}
		}
	})

	// A new port is a move: the node is seen where it runs (the address
	// its conf file gives) and restarted there, not "stopped: start it"
	// with a promotion beside it; moving the only status node costs the
	// majority, and the plan says so.
	t.Run("a new port is a move", func(t *testing.T) {
		moved := *spec
		moved.Nodes = slices.Clone(spec.Nodes)
		moved.Status = slices.Clone(spec.Status)
		moved.Nodes[0].Port += 500
		moved.Status[0].Port += 500
		p := observe(t, &moved)
		for _, want := range []struct{ addr, from string }{
			{"node." + spec.Nodes[0].Name, spec.Addr(spec.Nodes[0].Host, spec.Nodes[0].Port)},
			{"status." + spec.Status[0].Name, spec.Addr(spec.Status[0].Host, spec.Status[0].Port)},
		} {
			r := mustFind(t, p, want.addr, plan.Restart, false)
			if !slices.Contains(r.Steps, plan.Step{Op: "restart", Node: r.Name, Addr: want.from}) {
				t.Errorf("%s: steps %+v, want a restart from %s", want.addr, r.Steps, want.from)
			}
		}
		for _, r := range p.Resources {
			if r.Kind == "partition" {
				t.Errorf("the plan changes %s: %v", r.Address, r.Reasons)
			}
		}
		if !slices.ContainsFunc(p.Notes, func(n plan.Note) bool { return strings.Contains(n.Message, "lose their majority") }) {
			t.Errorf("notes %v: none says the status nodes' majority is lost", p.Notes)
		}
	})

	t.Run("removed node is a destructive delete", func(t *testing.T) {
		spec2 := plantest.Load(t, dir)
		spec2.Status = nil
		p := observe(t, spec2)
		r := mustFind(t, p, "status.st1", plan.Delete, false)
		if !r.Destructive {
			t.Error("delete not marked destructive")
		}
	})

	// The password changed in roma.hcl but not on the nodes: roma cannot
	// see them, so it must not judge their roles (no "no master: promote"),
	// and it refuses to apply rather than write conf files that would
	// break each node at its next restart.
	t.Run("password changed in roma.hcl only", func(t *testing.T) {
		changed := *spec
		changed.Password = cluster.NewSecret("a-password-the-nodes-do-not-have")
		p := observe(t, &changed)
		// Every node refuses it: one refusal, for the cluster, not one
		// per node and status node.
		if len(p.Refusals) != 1 || p.Refusals[0].Address != "cluster."+spec.Name {
			t.Errorf("refusals %v: want one, for cluster.%s", p.Refusals, spec.Name)
		}
		for _, n := range p.Refusals {
			if !strings.Contains(n.Message, "runs with another password than roma.hcl's") {
				t.Errorf("refusal %s: %q", n.Address, n.Message)
			}
		}
		for i := range spec.Partitions {
			if r := plantest.Find(p, fmt.Sprintf("partition.%d", i)); r != nil {
				t.Errorf("partition.%d is judged (%s, steps %v) though its nodes refuse the password", i, r.Action, r.Steps)
			}
		}
		for _, r := range p.Resources {
			for _, st := range r.Steps {
				if st.Op == "promote" || st.Op == "write-conf" || st.Op == "demote" {
					t.Errorf("%s: step %s %s, with nodes roma cannot see", r.Address, st.Op, st.Node)
				}
			}
		}
		if len(p.Unobserved) == 0 {
			t.Error("the plan does not say it is incomplete")
		}
	})
	converged(t) // the change above touched nothing

	t.Run("unreachable host", func(t *testing.T) {
		spec2 := plantest.Load(t, dir)
		spec2.Hosts[0].Address = l.UnusedAddress()
		p := observe(t, spec2)
		if len(p.Unobserved) == 0 || p.Unobserved[0].Address != "host."+spec2.Hosts[0].Name {
			t.Fatalf("unobserved = %v", p.Unobserved)
		}
		js, _ := json.Marshal(p.Unobserved)
		t.Logf("unobserved: %s", js)
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func follow(t *testing.T, spec *cluster.Spec, n, master cluster.Node) {
	t.Helper()
	c := plantest.NodeClient(spec, n.Name)
	defer c.Close()
	mh, _ := spec.Host(master.Host)
	must(t, c.ReplicaOf(context.Background(), mh.Address, fmt.Sprint(master.Port)).Err())
	if err := plantest.WaitLink(context.Background(), spec, n); err != nil {
		t.Fatal(err)
	}
}

func restart(t *testing.T, spec *cluster.Spec, n cluster.Node) {
	t.Helper()
	ctx := context.Background()
	h, _ := spec.Host(n.Host)
	tr, err := plantest.Dial(ctx, h)
	must(t, err)
	defer tr.Close()
	must(t, plantest.StartNode(ctx, spec, tr, redisconfTarget(spec, n)))
	first := spec.PartitionNodes(n.Partition)[0]
	if first.Name != n.Name {
		follow(t, spec, n, first)
	}
}

// redisServerVersion is the version redis-server --version gives here,
// where the lab hosts take their binaries from.
func redisServerVersion(t *testing.T) string {
	out, err := exec.Command("redis-server", "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range strings.Fields(string(out)) {
		if v, ok := strings.CutPrefix(f, "v="); ok {
			return v
		}
	}
	t.Fatalf("no v= in %q", out)
	return ""
}
