package apply_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/apply"
	"github.com/roma-redis/roma/client"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/plan"
	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/remote"
	"github.com/roma-redis/roma/status"
)

func TestMain(m *testing.M) { os.Exit(plantest.Main(m, lab.Options{Hosts: 4})) }

// romadBlock is the romad on 3 hosts.
const romadBlock = `
romad {
  hosts      = ["db1", "db2", "db3"]
  down_after = "3s"
  http_port  = 9640
}
`

// twoStatus is appended to the lab config: the 4-host cluster has
// 2 status nodes.
const twoStatus = `
status "st2" {
  host = "db1"
  port = 7101
}
`

type events struct {
	mu   sync.Mutex
	list []apply.Event
	hook func(apply.Event)
}

func (ev *events) report(e apply.Event) {
	ev.mu.Lock()
	ev.list = append(ev.list, e)
	hook := ev.hook
	ev.mu.Unlock()
	if hook != nil {
		hook(e)
	}
}

func makePlan(t *testing.T, spec *cluster.Spec) *plan.Plan {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st := plan.Observer{Dial: plantest.Dial}.Observe(ctx, spec)
	return plan.Diff(spec, st, plan.Options{})
}

func runApply(t *testing.T, ctx context.Context, spec *cluster.Spec, ev *events) (*apply.Result, error) {
	t.Helper()
	p := makePlan(t, spec)
	if ev == nil {
		ev = &events{}
	}
	res, err := apply.Apply(ctx, spec, p, apply.Options{Dial: plantest.Dial, Report: ev.report, ReadyTimeout: 30 * time.Second})
	for _, e := range ev.list {
		if strings.Contains(e.Message, plantest.Password) {
			t.Errorf("the password shows in an event: %+v", e)
		}
	}
	if err != nil && strings.Contains(err.Error(), plantest.Password) {
		t.Errorf("the password shows in the error: %v", err)
	}
	return res, err
}

func mustConverge(t *testing.T, spec *cluster.Spec) {
	t.Helper()
	res, err := runApply(t, context.Background(), spec, nil)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if res.Remaining != nil {
		t.Fatalf("apply left changes: %+v", res.Remaining.Resources)
	}
	if p := makePlan(t, spec); p.HasChanges() {
		t.Fatalf("plan after apply has changes: %+v", p.Resources)
	}
}

// confFiles returns the conf file of every node of spec, by name ("" for
// none).
func confFiles(t *testing.T, spec *cluster.Spec) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range spec.Nodes {
		h, _ := spec.Host(n.Host)
		tr, err := plantest.Dial(context.Background(), h)
		if err != nil {
			t.Fatal(err)
		}
		b, err := tr.ReadFile(context.Background(), cluster.LayoutOf(h).Conf(n.Name))
		tr.Close()
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("reading %s's conf file: %v", n.Name, err)
		}
		out[n.Name] = string(b)
	}
	return out
}

func mustNode(t *testing.T, spec *cluster.Spec, name string) cluster.Node {
	t.Helper()
	n, ok := spec.Node(name)
	if !ok {
		t.Fatalf("no node %s", name)
	}
	return n
}

// pids returns the pid of every node of spec, by name.
func pids(t *testing.T, spec *cluster.Spec) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, n := range spec.Nodes {
		out[n.Name] = pidOf(t, spec, n.Name)
	}
	return out
}

// pidOf returns the pid of node name, from its INFO.
func pidOf(t *testing.T, spec *cluster.Spec, name string) int64 {
	t.Helper()
	return int64(plantest.ServerPid(t, plantest.NodeClient(spec, name), name))
}

func roles(t *testing.T, spec *cluster.Spec, p int) (master string, replicas []string) {
	t.Helper()
	for _, n := range spec.PartitionNodes(p) {
		c := plantest.NodeClient(spec, n.Name)
		info, err := c.Info(context.Background(), "replication").Result()
		c.Close()
		if err != nil {
			t.Fatalf("INFO on %s: %v", n.Name, err)
		}
		if strings.Contains(info, "role:master") {
			if master != "" {
				t.Fatalf("partition %d has two masters: %s and %s", p, master, n.Name)
			}
			master = n.Name
		} else {
			if !strings.Contains(info, "master_link_status:up") {
				t.Errorf("replica %s: link not up", n.Name)
			}
			replicas = append(replicas, n.Name)
		}
	}
	if master == "" {
		t.Fatalf("partition %d has no master", p)
	}
	return master, replicas
}

func writeConfig(t *testing.T, dir, text string) *cluster.Spec {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "roma.hcl"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return plantest.Load(t, dir)
}

func TestApplyLab(t *testing.T) {
	l := lab.Shared(t)
	dir := t.TempDir()
	base := plantest.ConfigText(l, 3, twoStatus+romadBlock)
	spec := writeConfig(t, dir, base)
	ctx := context.Background()

	t.Run("fresh cluster comes up", func(t *testing.T) {
		res, err := runApply(t, ctx, spec, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := len(spec.Hosts) + len(spec.Nodes) + len(spec.Status) + spec.Partitions + len(spec.Romad.Hosts); res.Added != want {
			t.Errorf("added %d, want %d", res.Added, want)
		}
		for p := 0; p < spec.Partitions; p++ {
			m, reps := roles(t, spec, p)
			if m != spec.PartitionNodes(p)[0].Name || len(reps) != 1 {
				t.Errorf("partition %d: master %s replicas %v", p, m, reps)
			}
		}
		if p := makePlan(t, spec); p.HasChanges() {
			t.Fatalf("plan after apply has changes: %+v", p.Resources)
		}
		// Every node binds its host's declared address only.
		for _, port := range []int{7000, 7001, 7100, 7101} {
			if wild := plantest.WildcardListeners(port); len(wild) > 0 {
				t.Errorf("port %d: something listens on a wildcard address: %v", port, wild)
			}
		}
		// Conf files hold the password: mode 0600.
		h, _ := spec.Host("db1")
		tr, err := plantest.Dial(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		fi, err := tr.Stat(ctx, cluster.LayoutOf(h).Conf(spec.Nodes[0].Name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("conf file mode %v, %v; want 0600", fi.Mode().Perm(), err)
		}
	})

	t.Run("second apply changes nothing", func(t *testing.T) {
		if p := makePlan(t, spec); p.HasChanges() {
			t.Fatalf("plan has changes: %+v", p.Resources)
		}
	})

	t.Run("a romad file removed outside roma is drift, and apply puts it back", func(t *testing.T) {
		hn := spec.Romad.Hosts[len(spec.Romad.Hosts)-1]
		h, _ := spec.Host(hn)
		tr, err := plantest.Dial(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		bin := cluster.LayoutOf(h).RomadBin()
		if _, err := remote.Output(ctx, tr, "rm -f -- "+remote.ShellQuote(bin)); err != nil {
			t.Fatal(err)
		}
		p := makePlan(t, spec)
		var r *plan.Resource
		for i := range p.Resources {
			if p.Resources[i].Address == "romad."+hn {
				r = &p.Resources[i]
			}
		}
		if r == nil || !r.Drift || !slices.Contains(r.Reasons, "removed outside roma: "+bin) {
			t.Fatalf("romad.%s: %+v; want drift, removed outside roma: %s", hn, r, bin)
		}
		if _, err := runApply(t, ctx, spec, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Stat(ctx, bin); err != nil {
			t.Errorf("after apply: %v", err)
		}
		if p := makePlan(t, spec); p.HasChanges() {
			t.Errorf("plan after apply has changes: %+v", p.Resources)
		}
	})

	t.Run("romad restarts roll, the alpha last; a romad that does not come up leaves the alpha as it was", func(t *testing.T) {
		testRomadRoll(t, dir, base)
	})

	t.Run("start leaves running romads alone; stop and start bring them and the masters back", func(t *testing.T) {
		answers := func() map[string]bool {
			out := map[string]bool{}
			for _, hn := range spec.Romad.Hosts {
				h, _ := spec.Host(hn)
				url := fmt.Sprintf("http://%s/metrics", net.JoinHostPort(h.Address, strconv.Itoa(spec.Romad.HTTPPort)))
				if resp, err := http.Get(url); err == nil {
					resp.Body.Close()
					out[hn] = resp.StatusCode == 200
				}
			}
			return out
		}
		// start runs roma start and returns the romads it started.
		start := func() []string {
			ev := &events{}
			if _, err := apply.Start(ctx, spec, apply.Scope{}, apply.Options{Dial: plantest.Dial, Report: ev.report}); err != nil {
				t.Fatalf("roma start: %v", err)
			}
			var out []string
			for _, e := range ev.list {
				if e.Type == "done" && strings.HasPrefix(e.Address, "romad.") {
					out = append(out, e.Address)
				}
			}
			slices.Sort(out)
			return out
		}
		all := map[string]bool{}
		var want []string
		for _, hn := range spec.Romad.Hosts {
			all[hn] = true
			want = append(want, "romad."+hn)
		}
		if diff := cmp.Diff(all, answers()); diff != "" {
			t.Fatalf("romads answering after apply (-want +got):\n%s", diff)
		}
		if got := start(); len(got) > 0 {
			t.Errorf("roma start on a running cluster started %v again", got)
		}
		// Each partition's master, as romad publishes it; each replica
		// given more bytes on disk than its master (as an append-only
		// file not yet rewritten would). Start used to make the node
		// with the most bytes master, whatever it had missed.
		masters := map[int]string{}
		for p := 0; p < spec.Partitions; p++ {
			masters[p], _ = roles(t, spec, p)
		}
		sn := spec.Status[0]
		sc := plantest.Client(spec, sn.Host, sn.Port)
		defer sc.Close()
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			st, err := status.Read(ctx, sc, spec.Name)
			same := err == nil
			for p := 0; same && p < spec.Partitions; p++ {
				same = st.Master(p) == masters[p]
			}
			if same {
				break
			}
			if time.Now().After(deadline) {
				l.LogTails(t, 25)
				t.Fatalf("romad does not publish the masters %v: %v, %v", masters, st, err)
			}
		}
		for p := 0; p < spec.Partitions; p++ {
			for _, n := range spec.PartitionNodes(p) {
				if n.Name == masters[p] {
					continue
				}
				h, _ := spec.Host(n.Host)
				tr, err := plantest.Dial(ctx, h)
				if err != nil {
					t.Fatal(err)
				}
				pad := cluster.LayoutOf(h).Data(n.Name) + "/padding"
				if res, err := tr.Run(ctx, "head -c 4000000 /dev/zero > "+pad); err != nil || res.ExitCode != 0 {
					t.Fatalf("padding %s: %v %s", n.Name, err, res.Stderr)
				}
				t.Cleanup(func() { _, _ = tr.Run(context.Background(), "rm -f "+pad); tr.Close() })
			}
		}
		if _, err := apply.Stop(ctx, spec, apply.Scope{}, apply.Options{Dial: plantest.Dial}); err != nil {
			t.Fatalf("roma stop: %v", err)
		}
		for hn, up := range answers() {
			if up {
				t.Errorf("romad on %s answers after roma stop", hn)
			}
		}
		// What roma stop stopped is no drift: the plan says who stopped
		// each node and romad (its record on their hosts).
		p := makePlan(t, spec)
		for _, r := range p.Drift() {
			t.Errorf("after roma stop, the plan takes %s for drift: %q", r.Address, r.Reasons)
		}
		for _, r := range p.Resources {
			if r.Kind == "node" || r.Kind == "status" || r.Kind == "romad" {
				if len(r.Reasons) == 0 || !strings.Contains(r.Reasons[0], "stopped by roma stop at ") {
					t.Errorf("after roma stop, %s: %q; want it stopped by roma stop", r.Address, r.Reasons)
				}
			}
		}
		slices.Sort(want)
		if diff := cmp.Diff(want, start()); diff != "" {
			t.Errorf("romads roma start started after roma stop (-want +got):\n%s", diff)
		}
		// roma start removed roma stop's records, on the hosts and on
		// the status nodes.
		for _, h := range spec.Hosts {
			tr, err := plantest.Dial(ctx, h)
			if err != nil {
				t.Fatal(err)
			}
			res, err := tr.Run(ctx, "ls "+cluster.LayoutOf(h).RunDir()+" | grep stopped || true")
			tr.Close()
			if err != nil || len(res.Stdout) > 0 {
				t.Errorf("roma stop's records on %s after roma start: %q, %v", h.Name, res.Stdout, err)
			}
		}
		for _, sn := range spec.Status {
			c := plantest.Client(spec, sn.Host, sn.Port)
			if left, err := c.HGetAll(ctx, status.StoppedKey(spec.Name)).Result(); err != nil || len(left) > 0 {
				t.Errorf("roma stop's records on status node %s after roma start: %v, %v", sn.Name, left, err)
			}
			c.Close()
		}
		if diff := cmp.Diff(all, answers()); diff != "" {
			t.Errorf("romads answering after roma start (-want +got):\n%s", diff)
		}
		for p := 0; p < spec.Partitions; p++ {
			if m, _ := roles(t, spec, p); m != masters[p] {
				t.Errorf("partition %d: %s is master after stop and start, want %s, the published master (its replica holds more bytes on disk)", p, m, masters[p])
			}
		}
		if p := makePlan(t, spec); p.HasChanges() {
			t.Fatalf("plan after stop and start has changes: %+v", p.Resources)
		}
	})

	t.Run("a partition that stopped after a failover comes back under its last master", func(t *testing.T) {
		testRestartUnderLastMaster(t, spec)
	})

	t.Run("maxmemory at runtime, no restart", func(t *testing.T) {
		before := pids(t, spec)
		spec2 := writeConfig(t, dir, strings.Replace(base, `"64mb"`, `"96mb"`, 1))
		ev := &events{}
		if _, err := runApply(t, ctx, spec2, ev); err != nil {
			t.Fatal(err)
		}
		if diff := fmt.Sprint(pids(t, spec2)); diff != fmt.Sprint(before) {
			t.Errorf("pids changed: before %v after %s", before, diff)
		}
		c := plantest.NodeClient(spec2, spec2.Nodes[0].Name)
		defer c.Close()
		if v, _ := c.ConfigGet(ctx, "maxmemory").Result(); v["maxmemory"] != fmt.Sprint(96<<20) {
			t.Errorf("maxmemory = %v", v)
		}
		spec = spec2
		base = strings.Replace(base, `"64mb"`, `"96mb"`, 1)
	})

	t.Run("restart-needed change rolls under a writer", func(t *testing.T) {
		before := pids(t, spec)
		w := startWriter(t, spec, 0)
		time.Sleep(300 * time.Millisecond)
		text := strings.Replace(base, `maxmemory-policy = "allkeys-lru"`, "maxmemory-policy = \"allkeys-lru\"\n    databases        = 32", 1)
		spec2 := writeConfig(t, dir, text)
		p := makePlan(t, spec2)
		restarts := 0
		for _, r := range p.Resources {
			if r.Action == plan.Restart {
				restarts++
			}
		}
		if restarts != len(spec2.Nodes) {
			t.Fatalf("%d restarts planned, want %d: %+v", restarts, len(spec2.Nodes), p.Resources)
		}
		res, err := apply.Apply(ctx, spec2, p, apply.Options{Dial: plantest.Dial, ReadyTimeout: 30 * time.Second})
		time.Sleep(300 * time.Millisecond)
		acked, failed := w.stop()
		if err != nil {
			l.LogTails(t, 25)
			t.Fatalf("apply: %v", err)
		}
		if res.Remaining != nil {
			t.Fatalf("not converged: %+v", res.Remaining.Resources)
		}
		after := pids(t, spec2)
		for n, pid := range before {
			if after[n] == pid {
				t.Errorf("%s was not restarted (pid %d)", n, pid)
			}
		}
		if failed > 0 {
			t.Errorf("the writer failed %d writes for good (acknowledged %d)", failed, acked)
		}
		if acked < 20 {
			t.Errorf("the writer only got %d writes through", acked)
		}
		// Every acknowledged write is on the partition's master now.
		m, _ := roles(t, spec2, 0)
		c := plantest.NodeClient(spec2, m)
		defer c.Close()
		if n, err := c.DBSize(ctx).Result(); err != nil || n < int64(acked) {
			t.Errorf("master %s holds %d keys (%v), the writer had %d acknowledged", m, n, err, acked)
		}
		t.Logf("writer: %d writes acknowledged, %d retried through the failover", acked, w.retries.Load())
		spec, base = spec2, text
	})

	t.Run("removing a node deletes it", func(t *testing.T) {
		text := strings.Replace(base, twoStatus, "", 1)
		spec2 := writeConfig(t, dir, text)
		p := makePlan(t, spec2)
		var del *plan.Resource
		for i := range p.Resources {
			if p.Resources[i].Address == "status.st2" {
				del = &p.Resources[i]
			}
		}
		if del == nil || del.Action != plan.Delete {
			t.Fatalf("plan: %+v", p.Resources)
		}
		if _, err := apply.Apply(ctx, spec2, p, apply.Options{Dial: plantest.Dial}); err != nil {
			t.Fatal(err)
		}
		c := plantest.Client(spec, "db1", 7101)
		defer c.Close()
		if err := c.Ping(ctx).Err(); err == nil {
			t.Error("st2 still answers")
		}
		if p := makePlan(t, spec2); p.HasChanges() {
			t.Fatalf("plan after delete: %+v", p.Resources)
		}
		// Add it back, empty, for the next tests: first alone (-target),
		// so that romad, still configured without it, cannot write to
		// it. apply copies the published status onto it: a client of the
		// new roma.hcl reads a majority of st1 and st2, not an empty st2
		// (HALT).
		c1 := plantest.Client(spec, "db4", 7100)
		defer c1.Close()
		want, err := status.Read(ctx, c1, spec.Name)
		if err != nil {
			t.Fatal(err)
		}
		h, _ := spec.Host("db1")
		tr, err := plantest.Dial(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		if _, err := tr.Run(ctx, "rm -rf "+cluster.LayoutOf(h).Data("st2")); err != nil {
			t.Fatal(err)
		}
		spec = writeConfig(t, dir, base)
		octx, cancel := context.WithTimeout(ctx, time.Minute)
		st := plan.Observer{Dial: plantest.Dial}.Observe(octx, spec)
		cancel()
		p = plan.Diff(spec, st, plan.Options{Targets: []string{"status.st2"}})
		if _, err := apply.Apply(ctx, spec, p, apply.Options{Dial: plantest.Dial}); err != nil {
			t.Fatal(err)
		}
		c2 := plantest.Client(spec, "db1", 7101)
		defer c2.Close()
		if got, err := status.Read(ctx, c2, spec.Name); err != nil || got.Epoch < want.Epoch {
			t.Errorf("st2, just created: status %+v, %v; want the published one, epoch %d", got, err, want.Epoch)
		}
		rc, err := client.NewFromSpec(ctx, spec, client.Options{})
		if err != nil {
			t.Fatalf("a client of roma.hcl with st2 back: %v", err)
		}
		defer rc.Close()
		if err := rc.Set(ctx, "st2-back", "1", 0).Err(); err != nil {
			t.Errorf("SET through a client of roma.hcl with st2 back: %v", err)
		}
		mustConverge(t, spec)
	})

	t.Run("a master leaving roma.hcl hands over first", func(t *testing.T) {
		testMasterLeaves(t, l, dir, base)
		spec = writeConfig(t, dir, base)
	})

	t.Run("a conf file redis-server refuses changes nothing", func(t *testing.T) {
		// Values Redis refuses that roma validate lets through (it checks
		// the form of common directives only): each host's redis-server
		// reads the files first, and apply stops before any change.
		before, confs := pids(t, spec), confFiles(t, spec)
		extra := `
node "extra" {
  host      = "db4"
  port      = 7300
  partition = 0
  redis {
    hz = "sometimes"
  }
}
`
		for name, tc := range map[string]struct{ text, line string }{
			"a runtime setting": {strings.Replace(base, `maxmemory-policy = "allkeys-lru"`, `maxmemory-policy = "allkeys-lru"
    hz               = "sometimes"`, 1), `"hz sometimes"`},
			"a restart-only setting": {strings.Replace(base, `maxmemory-policy = "allkeys-lru"`, `maxmemory-policy = "allkeys-lru"
    tcp-backlog      = "lots"`, 1), `"tcp-backlog lots"`},
			"a new node's": {base + extra, `"hz sometimes"`},
		} {
			t.Run(name, func(t *testing.T) {
				spec2 := writeConfig(t, dir, tc.text)
				res, err := runApply(t, ctx, spec2, nil)
				if err == nil || !strings.Contains(err.Error(), "redis-server refuses the line "+tc.line) || !res.Unchanged || len(res.Done) != 0 {
					t.Fatalf("apply of a value Redis refuses: %v (%+v); want it refused, nothing done", err, res)
				}
				if got := pids(t, spec); fmt.Sprint(got) != fmt.Sprint(before) {
					t.Errorf("nodes restarted: pids %v, before %v", got, before)
				}
				after := confFiles(t, spec2)
				if after["extra"] != "" {
					t.Error("extra's conf file was written")
				}
				delete(after, "extra")
				if d := cmp.Diff(confs, after); d != "" {
					t.Errorf("conf files changed (-before +after):\n%s", d)
				}
				assertUnlocked(t, spec)
			})
		}
		// Fixing roma.hcl and applying again converges.
		spec = writeConfig(t, dir, strings.Replace(base+extra, `hz = "sometimes"`, `hz = 10`, 1))
		mustConverge(t, spec)
		spec = writeConfig(t, dir, base)
		mustConverge(t, spec)
	})

	t.Run("a master is not restarted in place when its replicas are down", func(t *testing.T) {
		// A restart-only change; partition 0's replica cannot start (its
		// address is taken), so its master has no replica to hand over
		// to: it is left running rather than restarted with none.
		master, replicas := roles(t, spec, 0)
		rn := mustNode(t, spec, replicas[0])
		c := plantest.NodeClient(spec, rn.Name)
		_ = c.Shutdown(ctx).Err()
		c.Close()
		var taken net.Listener
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			var err error
			if taken, err = net.Listen("tcp", spec.Addr(rn.Host, rn.Port)); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("taking %s's address: %v", rn.Name, err)
			}
		}
		defer taken.Close()
		go func() { // what answers there closes every connection at once
			for {
				c, err := taken.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		before := pidOf(t, spec, master)
		text := strings.Replace(base, `maxmemory-policy = "allkeys-lru"`, `maxmemory-policy = "allkeys-lru"
    tcp-backlog      = 256`, 1)
		spec2 := writeConfig(t, dir, text)
		_, err := runApply(t, ctx, spec2, nil)
		if err == nil || !strings.Contains(err.Error(), "node."+master+" on ") || !strings.Contains(err.Error(), "not restarted: no replica of partition 0") {
			t.Fatalf("apply with partition 0's replica unable to start: %v; want %s not restarted", err, master)
		}
		if after := pidOf(t, spec, master); after != before {
			t.Errorf("%s restarted with no replica up: pid %v, before %v", master, after, before)
		}
		taken.Close()
		spec = writeConfig(t, dir, base)
		mustConverge(t, spec)
	})

	t.Run("host unreachable mid-apply", func(t *testing.T) {
		text := strings.Replace(base, `"96mb"`, `"80mb"`, 1) + `
status "st3" {
  host = "db2"
  port = 7102
}
`
		spec2 := writeConfig(t, dir, text)
		ev := &events{}
		var once sync.Once
		ev.hook = func(e apply.Event) {
			if e.Type == "start" && e.Host == "db2" {
				once.Do(func() {
					if err := l.Host("db2").Stop(); err != nil {
						t.Errorf("stopping db2: %v", err)
					}
				})
			}
		}
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		res, err := runApply(t, ctx, spec2, ev)
		if err == nil || !strings.Contains(err.Error(), "db2") {
			t.Fatalf("apply with db2 down: %v", err)
		}
		t.Logf("error: %v (done: %v)", err, res.Done)
		if err := l.Host("db2").Restart(ctx); err != nil {
			t.Fatal(err)
		}
		assertUnlocked(t, spec2)
		assertNoTempFiles(t, l)
		spec = spec2
		base = text
		mustConverge(t, spec)
	})

	t.Run("interrupted apply", func(t *testing.T) {
		text := base + `
status "st4" {
  host = "db3"
  port = 7103
}
`
		spec2 := writeConfig(t, dir, text)
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		ev := &events{hook: func(e apply.Event) {
			if e.Type == "phase" && strings.HasPrefix(e.Message, "Starting") {
				cancel() // what SIGINT does in roma apply
			}
		}}
		_, err := runApply(t, ctx, spec2, ev)
		if err == nil {
			t.Fatal("an interrupted apply reports success")
		}
		t.Logf("interrupted: %v", err)
		assertUnlocked(t, spec2)
		assertNoTempFiles(t, l)
		spec, base = spec2, text
		mustConverge(t, spec)
	})

	t.Run("two applies at once", func(t *testing.T) {
		h := apply.LockHost(spec)
		tr, err := plantest.Dial(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		lock, err := apply.AcquireLock(ctx, tr, h, "test", 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, err = runApply(t, ctx, spec, nil)
		var le *apply.LockedError
		if !errors.As(err, &le) || le.Info.ID != lock.Info.ID || !strings.Contains(err.Error(), "force-unlock "+lock.Info.ID) {
			t.Fatalf("apply while locked: %v", err)
		}
		// With -lock-timeout, apply waits for the holder.
		go func() {
			time.Sleep(1500 * time.Millisecond)
			lock.Release()
		}()
		p := makePlan(t, spec)
		if _, err := apply.Apply(ctx, spec, p, apply.Options{Dial: plantest.Dial, LockTimeout: 30 * time.Second}); err != nil {
			t.Fatalf("apply with a lock timeout: %v", err)
		}
		// Truly concurrent: exactly one of two proceeds.
		text := strings.Replace(base, `"80mb"`, `"72mb"`, 1)
		spec2 := writeConfig(t, dir, text)
		p = makePlan(t, spec2)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = apply.Apply(ctx, spec2, p, apply.Options{Dial: plantest.Dial})
			}()
		}
		wg.Wait()
		locked := 0
		for _, err := range errs {
			if errors.Is(err, apply.ErrLocked) {
				locked++
			} else if err != nil {
				t.Errorf("concurrent apply: %v", err)
			}
		}
		if locked > 1 {
			t.Errorf("both applies were refused")
		}
		t.Logf("concurrent applies: %d refused by the lock", locked)
		spec, base = spec2, text
		mustConverge(t, spec)
	})

	t.Run("an expired lock is taken over", func(t *testing.T) {
		h := apply.LockHost(spec)
		tr, err := plantest.Dial(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		dead := `{"id":"deadbeef","holder":"killed@nowhere","operation":"apply","created":"2026-01-01T00:00:00Z","expires":1}` + "\n"
		if err := tr.WriteFile(ctx, filepath.Join(cluster.LayoutOf(h).RunDir(), "apply.lock"), []byte(dead), 0o644); err != nil {
			t.Fatal(err)
		}
		spec2 := writeConfig(t, dir, strings.Replace(base, `"72mb"`, `"70mb"`, 1))
		mustConverge(t, spec2)
		assertUnlocked(t, spec2)
	})
}

func assertUnlocked(t *testing.T, spec *cluster.Spec) {
	t.Helper()
	h := apply.LockHost(spec)
	tr, err := plantest.Dial(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	info, err := apply.ReadLock(context.Background(), tr, h)
	if err != nil || info != nil {
		t.Errorf("the lock is still held: %+v, %v", info, err)
	}
}

// assertNoTempFiles checks that no host has a temporary file left in its
// conf directory.
func assertNoTempFiles(t *testing.T, l *lab.Lab) {
	t.Helper()
	for _, h := range l.Hosts {
		entries, _ := os.ReadDir(filepath.Join(h.Root, "conf"))
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".conf") {
				t.Errorf("%s: %s left in conf/", h.Name, e.Name())
			}
		}
	}
}

// writer writes keys to partition p's master without pause, finding the
// master again after an error, as a client following status would.
type writer struct {
	stopCh  chan struct{}
	done    chan struct{}
	acked   atomic.Int64
	failed  atomic.Int64
	retries atomic.Int64
}

func startWriter(t *testing.T, spec *cluster.Spec, p int) *writer {
	w := &writer{stopCh: make(chan struct{}), done: make(chan struct{})}
	clients := map[string]*redis.Client{}
	for _, n := range spec.PartitionNodes(p) {
		clients[n.Name] = plantest.NodeClient(spec, n.Name)
	}
	master := func() *redis.Client {
		for _, n := range spec.PartitionNodes(p) {
			c := clients[n.Name]
			if v, err := c.Do(context.Background(), "ROLE").Slice(); err == nil && len(v) > 0 && v[0] == "master" {
				return c
			}
		}
		return nil
	}
	go func() {
		defer close(w.done)
		defer func() {
			for _, c := range clients {
				c.Close()
			}
		}()
		for i := 0; ; i++ {
			select {
			case <-w.stopCh:
				return
			default:
			}
			key := fmt.Sprintf("w:%d", i)
			deadline := time.Now().Add(10 * time.Second)
			for {
				c := master()
				if c != nil {
					ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
					err := c.Set(ctx, key, i, 0).Err()
					cancel()
					if err == nil {
						w.acked.Add(1)
						break
					}
				}
				w.retries.Add(1)
				if time.Now().After(deadline) {
					w.failed.Add(1)
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return w
}

func (w *writer) stop() (acked, failed int64) {
	close(w.stopCh)
	<-w.done
	return w.acked.Load(), w.failed.Load()
}

// testRomadRoll: an apply that restarts every romad (down_after changed)
// restarts the published alpha's last, after the others answer; when one
// of the others does not come up (its log file is a directory, so it
// cannot start), the alpha is not restarted: it keeps running with its
// old configuration (same pid), the apply fails naming both, and the
// next apply, once the host is fixed, converges. The cluster ends as base.
func testRomadRoll(t *testing.T, dir, base string) {
	ctx := context.Background()
	alphaOf := func(spec *cluster.Spec) string {
		t.Helper()
		c, err := client.NewFromSpec(ctx, spec, client.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var last any
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			st, err := c.Status() // an error until romad has published a status
			if err == nil && st.Alpha != "" && time.Since(st.Updated) < 3*time.Second {
				return st.Alpha
			}
			last = st
			if err != nil {
				last = err
			}
		}
		lab.Shared(t).LogTails(t, 25)
		t.Fatalf("no alpha publishes the status within 30s: %+v", last)
		return ""
	}
	romadDone := func(ev *events) []string {
		var out []string
		for _, e := range ev.list {
			if e.Type == "done" && strings.HasPrefix(e.Address, "romad.") {
				out = append(out, e.Host)
			}
		}
		return out
	}
	readPid := func(spec *cluster.Spec, host string) string {
		t.Helper()
		h, _ := spec.Host(host)
		tr, err := plantest.Dial(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		b, err := tr.ReadFile(ctx, cluster.LayoutOf(h).Pid("romad"))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}

	// Every romad restarts: the alpha's last.
	spec := writeConfig(t, dir, strings.Replace(base, `down_after = "3s"`, `down_after = "4s"`, 1))
	alpha := alphaOf(spec)
	ev := &events{}
	if _, err := runApply(t, ctx, spec, ev); err != nil {
		t.Fatal(err)
	}
	done := romadDone(ev)
	if len(done) != len(spec.Romad.Hosts) || done[len(done)-1] != alpha {
		t.Errorf("romads restarted in the order %v; want all %d, the alpha (%s) last", done, len(spec.Romad.Hosts), alpha)
	}
	alphaOf(spec)

	// One romad cannot start: the alpha is left as it was.
	alpha = alphaOf(spec)
	var broken string
	for _, hn := range spec.Romad.Hosts {
		if hn != alpha {
			broken = hn
			break
		}
	}
	h, _ := spec.Host(broken)
	tr, err := plantest.Dial(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	logf := cluster.LayoutOf(h).Log("romad")
	if _, err := tr.Run(ctx, "rm -f "+logf+" && mkdir "+logf); err != nil {
		t.Fatal(err)
	}
	pid := readPid(spec, alpha)
	spec = writeConfig(t, dir, base)
	res, err := runApply(t, ctx, spec, nil)
	if err == nil {
		t.Fatalf("apply with romad unable to start on %s succeeded", broken)
	}
	var failed []string
	for _, f := range res.Failed {
		failed = append(failed, f.Address)
		if f.Address == "romad."+alpha && !strings.Contains(f.Err.Error(), "not restarted: romad did not come up on "+broken) {
			t.Errorf("the alpha's romad failed with %v; want it not restarted, naming %s", f.Err, broken)
		}
	}
	slices.Sort(failed)
	if want := []string{"romad." + alpha, "romad." + broken}; !slices.Equal(failed, slices.Sorted(slices.Values(want))) {
		t.Errorf("failed %v, want %v", failed, want)
	}
	if got := readPid(spec, alpha); got != pid {
		t.Errorf("the alpha's romad on %s was restarted (pid %s, was %s)", alpha, got, pid)
	}
	alphaOf(spec)

	if _, err := tr.Run(ctx, "rmdir "+logf); err != nil {
		t.Fatal(err)
	}
	mustConverge(t, spec)
	if got := readPid(spec, alpha); got == pid {
		t.Errorf("the alpha's romad on %s still runs with its old configuration (pid %s) after the fixed apply", alpha, pid)
	}
}
