package apply_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/roma-redis/roma/apply"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/plan"
	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/status"
)

// testRestartUnderLastMaster: the first declared node of partition 0
// stops and misses writes the other node takes as master; then the whole
// partition stops. apply must bring it back under the node that took the
// writes, the master romad last published, not under the first declared
// node, which would wipe them from the other. Twice: with the status
// nodes up when planning (the plan names the master), and after roma stop
// took them down as well (apply picks once it has started them).
func testRestartUnderLastMaster(t *testing.T, spec *cluster.Spec) {
	ctx := context.Background()
	nodes := spec.PartitionNodes(0)
	first, second := nodes[0].Name, nodes[1].Name
	// servesAlone waits until second is partition 0's master, as
	// published, then writes n keys that first, stopped, misses.
	servesAlone := func(prefix string, n int) []string {
		t.Helper()
		sn := spec.Status[0]
		sc := plantest.Client(spec, sn.Host, sn.Port)
		defer sc.Close()
		c := plantest.NodeClient(spec, second)
		defer c.Close()
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			st, err := status.Read(ctx, sc, spec.Name)
			role, _ := c.Do(ctx, "ROLE").Slice()
			if err == nil && st.Master(0) == second && len(role) > 0 && role[0] == "master" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("romad does not make %s master of partition 0 once %s is down: %v, %v, role %v", second, first, st, err, role)
			}
		}
		var keys []string
		for i := range n {
			k := fmt.Sprintf("%s:%d", prefix, i)
			if err := c.Set(ctx, k, k, 0).Err(); err != nil {
				t.Fatalf("SET %s on %s: %v", k, second, err)
			}
			keys = append(keys, k)
		}
		// What a crash would have kept, without appendonly.
		if err := c.Save(ctx).Err(); err != nil {
			t.Fatalf("SAVE on %s: %v", second, err)
		}
		return keys
	}
	// comesBack applies, and checks second is master with every key,
	// and first its replica, holding them too.
	comesBack := func(keys []string) []apply.Event {
		t.Helper()
		ev := &events{}
		res, err := runApply(t, ctx, spec, ev)
		if err != nil {
			t.Fatalf("apply: %v", err)
		}
		if res.Remaining != nil {
			t.Fatalf("apply left changes: %+v", res.Remaining.Resources)
		}
		if m, reps := roles(t, spec, 0); m != second || !cmp.Equal(reps, []string{first}) {
			t.Fatalf("partition 0 after apply: master %s, replicas %v; want %s, the master romad last published, and %s", m, reps, second, first)
		}
		for _, name := range []string{second, first} {
			if missing := plantest.Missing(spec, name, keys); missing > 0 {
				t.Errorf("%s lacks %d of the %d keys %s took while %s was down", name, missing, len(keys), second, first)
			}
		}
		return ev.list
	}
	partition0 := func(p *plan.Plan) plan.Resource {
		t.Helper()
		for _, r := range p.Resources {
			if r.Address == "partition.0" {
				return r
			}
		}
		t.Fatalf("the plan does nothing to partition 0: %+v", p.Resources)
		return plan.Resource{}
	}
	masterChange := func(r plan.Resource) plan.Change {
		for _, ch := range r.Changes {
			if ch.Attr == "master" {
				return ch
			}
		}
		t.Fatalf("partition 0's plan changes no master: %+v", r)
		return plan.Change{}
	}
	// haltsLosing kills second, first being down: romad, with no replica
	// to promote, publishes HALT with second as the master lost.
	stc := plantest.Client(spec, spec.Status[0].Host, spec.Status[0].Port)
	defer stc.Close()
	haltsLosing := func() {
		t.Helper()
		crashNode(t, spec, second)
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			if st, err := status.Read(ctx, stc, spec.Name); err == nil && st.Master(0) == "" && st.Partitions[0].Lost == second {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("romad does not publish %s as partition 0's lost master", second)
			}
		}
	}

	// The status nodes up: the plan names the master.
	crashNode(t, spec, first)
	keys := servesAlone("missed", 100)
	crashNode(t, spec, second)
	r := partition0(makePlan(t, spec))
	if ch := masterChange(r); ch.New != second || ch.Unknown {
		t.Errorf("with the status nodes up, the plan makes %q master (unknown: %v), want %s, the master romad last published", ch.New, ch.Unknown, second)
	}
	if s := r.Steps[0]; s.Op != "promote" || s.Node != second || !s.Pick {
		t.Errorf("first step %+v, want promote %s, to be picked again by apply", s, second)
	}
	if !strings.Contains(strings.Join(r.Reasons, " "), second+" becomes master: it was the last master, as romad last published") {
		t.Errorf("the plan does not say why %s becomes master: %q", second, r.Reasons)
	}
	comesBack(keys)

	// roma stop took the status nodes down as well: apply picks.
	crashNode(t, spec, first)
	keys = append(keys, servesAlone("missed-again", 100)...)
	if _, err := apply.Stop(ctx, spec, apply.Scope{}, apply.Options{Dial: plantest.Dial}); err != nil {
		t.Fatalf("roma stop: %v", err)
	}
	r = partition0(makePlan(t, spec))
	if ch := masterChange(r); !ch.Unknown || ch.New != "" {
		t.Errorf("with the status nodes down, the plan makes %q master (unknown: %v), want it unknown until apply, and no name given", ch.New, ch.Unknown)
	}
	var b strings.Builder
	if err := plan.WriteHuman(&b, &plan.Plan{Resources: []plan.Resource{r}}, plan.HumanOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"+ master = (known after apply)", "# step: promote the master (known after apply)", "# step: the other nodes replicate from it"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the plan does not show %q:\n%s", want, b.String())
		}
	}
	said := false
	for _, e := range comesBack(keys) {
		if e.Address == "partition.0" && strings.Contains(e.Message, second+" becomes master of partition 0: the master romad last published") {
			said = true
		}
	}
	if !said {
		t.Errorf("apply does not say which node it made master of partition 0, and why")
	}

	// Both crash, first after second took writes it missed: HALT, second
	// published as the master lost. first comes back on its own, a
	// master on older data; the plan starts second and makes it master
	// again.
	crashNode(t, spec, first)
	keys = append(keys, servesAlone("missed-at-halt", 100)...)
	haltsLosing()
	plantest.StartByHand(t, spec, first)
	// Given up (taken out of roma.hcl), the lost master's writes are
	// lost: the plan says so.
	gaveUp := *spec
	gaveUp.Nodes = slices.DeleteFunc(slices.Clone(spec.Nodes), func(n cluster.Node) bool { return n.Name == second })
	octx, cancel := context.WithTimeout(ctx, time.Minute)
	gp := plan.Diff(&gaveUp, plan.Observer{Dial: plantest.Dial}.Observe(octx, &gaveUp), plan.Options{})
	cancel()
	said = false
	for _, r := range gp.Resources {
		if r.Address == "node."+second && r.Action == plan.Delete &&
			slices.Contains(r.Reasons, "it is the last master of partition 0, stopped: the writes only it holds are given up, and the node holding the most data leads the partition") {
			said = true
		}
	}
	if !said {
		t.Errorf("the plan that removes %s, the master lost at HALT, does not say its writes are given up: %+v", second, gp.Resources)
	}
	r = partition0(makePlan(t, spec))
	if ch := masterChange(r); ch.Old != first || ch.New != second || !r.Destructive {
		t.Errorf("with %s back on older data, the plan changes the master %q -> %q (destructive: %v), want %s -> %s, destructive", first, ch.Old, ch.New, r.Destructive, first, second)
	}
	if diff := cmp.Diff([]plan.Step{{Op: "promote", Node: second, Pick: true}, {Op: "demote", Node: first, Target: second}}, r.Steps); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	comesBack(keys)

	// Once more into HALT, first back on its own as second's replica,
	// never in sync, and the status nodes down: the plan cannot tell
	// which node is newest, and must not promote the one running.
	crashNode(t, spec, first)
	keys = append(keys, servesAlone("missed-no-status", 100)...)
	haltsLosing()
	sn := mustNode(t, spec, second)
	sh, _ := spec.Host(sn.Host)
	plantest.StartByHand(t, spec, first, "--replicaof", sh.Address, fmt.Sprint(sn.Port))
	for _, s := range spec.Status {
		plantest.Crash(t, spec, s.Host, s.Port, s.Name)
	}
	r = partition0(makePlan(t, spec))
	if ch := masterChange(r); !ch.Unknown || ch.New != "" || !r.Steps[0].Pick {
		t.Errorf("with the status nodes down and %s running on older data, the plan makes %q master (unknown: %v, steps %+v), want it unknown until apply", first, ch.New, ch.Unknown, r.Steps)
	}
	comesBack(keys)
	mustConverge(t, spec)
}

// TestRestartStartsNoNodeAsReplica: more nodes on a host than apply
// starts at once, so that the last node of partition 0 starts after the
// first runs. The last one holds the newest data (it was master while the
// first was down); it must not start as the first's replica, which would
// drop its data before apply picks the master. Without romad, nothing is
// published: the node holding the most keys is the master.
func TestRestartStartsNoNodeAsReplica(t *testing.T) {
	l := lab.Shared(t)
	h := l.Hosts[0]
	var b strings.Builder
	fmt.Fprintf(&b, "variable \"redis_password\" {\n  sensitive = true\n}\n\ncluster \"waves\" {\n  partitions = 3\n  password   = var.redis_password\n}\n\n")
	fmt.Fprintf(&b, "host %q {\n  address = %q\n  service = \"process\"\n  ssh {\n    user          = \"root\"\n    port          = %d\n    identity_file = %q\n    known_hosts   = %q\n  }\n}\n\n",
		h.Name, h.Address, h.Port, l.IdentityFile, l.KnownHosts)
	// Partition 0's nodes first and last: the four between start with
	// the first, the last once one of them is up.
	for i, p := range []int{0, 1, 1, 2, 2, 0} {
		fmt.Fprintf(&b, "node \"w%d\" {\n  host      = %q\n  port      = %d\n  partition = %d\n}\n\n", i, h.Name, 7300+i, p)
	}
	fmt.Fprintf(&b, "status \"wst\" {\n  host = %q\n  port = 7310\n}\n", h.Name)
	spec := writeConfig(t, t.TempDir(), b.String())
	ctx := context.Background()
	t.Cleanup(func() { _, _ = apply.Destroy(context.Background(), spec, true, apply.Options{Dial: plantest.Dial}) })
	mustConverge(t, spec)

	// w5 takes writes w0 misses: w0 stops, w5 is made master by hand.
	crashNode(t, spec, "w0")
	c := plantest.NodeClient(spec, "w5")
	defer c.Close()
	if err := c.Do(ctx, "REPLICAOF", "NO", "ONE").Err(); err != nil {
		t.Fatalf("REPLICAOF NO ONE on w5: %v", err)
	}
	for i := range 50 {
		if err := c.Set(ctx, fmt.Sprintf("k%d", i), "v", 0).Err(); err != nil {
			t.Fatalf("SET on w5: %v", err)
		}
	}
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatalf("SAVE on w5: %v", err)
	}
	// The host goes down: every node stops.
	for _, n := range spec.Nodes[1:] {
		crashNode(t, spec, n.Name)
	}

	ev := &events{}
	if _, err := runApply(t, ctx, spec, ev); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if m, reps := roles(t, spec, 0); m != "w5" || !cmp.Equal(reps, []string{"w0"}) {
		for _, e := range ev.list {
			t.Log(e.Address, e.Type, e.Message)
		}
		t.Fatalf("partition 0 after apply: master %s, replicas %v; want w5, which holds the most keys, and w0", m, reps)
	}
	for _, name := range []string{"w5", "w0"} {
		nc := plantest.NodeClient(spec, name)
		n, err := nc.DBSize(ctx).Result()
		nc.Close()
		if err != nil || n != 50 {
			t.Errorf("%s holds %d keys (%v), want the 50 w5 took", name, n, err)
		}
	}
	if p := makePlan(t, spec); p.HasChanges() {
		t.Fatalf("plan after apply has changes: %+v", p.Resources)
	}

	// w0 misses writes again; then roma destroy, which keeps the data
	// directories, and apply: the partition comes back under w5, which
	// holds the most keys, not under w0, first declared.
	crashNode(t, spec, "w0")
	for i := 50; i < 80; i++ {
		if err := c.Set(ctx, fmt.Sprintf("k%d", i), "v", 0).Err(); err != nil {
			t.Fatalf("SET on w5: %v", err)
		}
	}
	if _, err := apply.Destroy(ctx, spec, false, apply.Options{Dial: plantest.Dial}); err != nil {
		t.Fatalf("roma destroy: %v", err)
	}
	var part0 *plan.Resource
	p := makePlan(t, spec)
	for i, r := range p.Resources {
		if r.Address == "partition.0" {
			part0 = &p.Resources[i]
		}
	}
	if part0 == nil || len(part0.Steps) == 0 || !part0.Steps[0].Pick || !strings.Contains(strings.Join(part0.Reasons, " "), "bootstrap over data from before") {
		t.Fatalf("after destroy, the plan of partition 0 does not pick its master once started: %+v", part0)
	}
	ev = &events{}
	if _, err := runApply(t, ctx, spec, ev); err != nil {
		t.Fatalf("apply after destroy: %v", err)
	}
	if m, _ := roles(t, spec, 0); m != "w5" {
		for _, e := range ev.list {
			t.Log(e.Address, e.Type, e.Message)
		}
		t.Fatalf("after destroy and apply, partition 0's master is %s, want w5, which holds the most keys", m)
	}
	for _, name := range []string{"w5", "w0"} {
		nc := plantest.NodeClient(spec, name)
		n, err := nc.DBSize(ctx).Result()
		nc.Close()
		if err != nil || n != 80 {
			t.Errorf("after destroy and apply, %s holds %d keys (%v), want the 80 w5 took", name, n, err)
		}
	}
}

// crashNode kills data node name's redis-server (SIGKILL) and waits until
// it no longer answers.
func crashNode(t *testing.T, spec *cluster.Spec, name string) {
	t.Helper()
	n := mustNode(t, spec, name)
	plantest.Crash(t, spec, n.Host, n.Port, name)
}
