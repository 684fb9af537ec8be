package apply_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roma-redis/roma/apply"
	"github.com/roma-redis/roma/client"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/plan"
	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/redisconf"
	"github.com/roma-redis/roma/redisinfo"
	"github.com/roma-redis/roma/status"
)

// extraNode is a third node of partition 0, declared by hand beside the
// placement's two, on host.
func extraNode(host string) string {
	return fmt.Sprintf(`
node "extra" {
  host      = %q
  port      = 7300
  partition = 0
}
`, host)
}

// testMasterLeaves: a partition's master that leaves roma.hcl, moved to
// another host or removed, hands the partition over to an in-sync
// replica (FAILOVER) before it is stopped, while a client that follows
// the published status writes: no acknowledged write is lost, none fails
// for good, and romad publishes the new master. With no in-sync replica
// to take over, the plan is refused. The cluster ends as base.
func testMasterLeaves(t *testing.T, l *lab.Lab, dir, base string) {
	ctx := context.Background()
	spec := writeConfig(t, dir, base+extraNode("db4"))
	mustConverge(t, spec)
	makeMaster(t, spec, "extra")

	// No in-sync replica to hand over to: refused.
	var others []string
	for _, n := range spec.PartitionNodes(0) {
		if n.Name != "extra" {
			others = append(others, n.Name)
			c := plantest.NodeClient(spec, n.Name)
			_ = c.Shutdown(ctx).Err() // the connection closes: no reply
			c.Close()
		}
	}
	p := makePlan(t, writeConfig(t, dir, base))
	if len(p.Refusals) != 1 || !strings.Contains(p.Refusals[0].Message, "the master of partition 0, extra") ||
		!strings.Contains(p.Refusals[0].Message, "no node roma.hcl keeps in partition 0 is an in-sync replica") {
		t.Fatalf("plan removing a master with its replicas down: refusals %+v, want the one about extra", p.Refusals)
	}
	spec = writeConfig(t, dir, base+extraNode("db4"))
	mustConverge(t, spec) // starts them again, as replicas of extra
	if m, _ := roles(t, spec, 0); m != "extra" {
		t.Fatalf("after restarting %v, the master of partition 0 is %s, want extra", others, m)
	}

	// Its port changes, while one of its replicas is stopped: restarted
	// at the new port, handing over first; the stopped replica is
	// started and follows extra where it runs until then. No promotion.
	newPort := strings.Replace(extraNode("db4"), "7300", "7301", 1)
	spec2 := writeConfig(t, dir, base+newPort)
	down := plantest.NodeClient(spec, others[0])
	_ = down.Shutdown(ctx).Err()
	down.Close()
	p = makePlan(t, spec2)
	var res *plan.Resource
	for i, r := range p.Resources {
		if len(p.Refusals) > 0 || r.Address == "partition.0" && !slices.Equal(r.Steps, []plan.Step{{Op: "replicaof", Node: others[0], Target: "extra"}}) {
			t.Fatalf("plan of extra's new port: %+v, refusals %+v; want partition 0 to change only by %s following extra", r, p.Refusals, others[0])
		}
		if r.Address == "node.extra" {
			res = &p.Resources[i]
		}
	}
	if res == nil || res.Action != plan.Restart || res.Drift || !slices.Contains(res.Steps, plan.Step{Op: "restart", Node: "extra", Addr: spec.Addr("db4", 7300)}) {
		t.Fatalf("plan of extra's new port: %+v; want a restart from %s", res, spec.Addr("db4", 7300))
	}
	if next := applyUnderWrites(t, l, spec, spec2, p, "port"); next == "extra" {
		t.Errorf("extra is still master after its restart at a new port")
	}
	// roma start with a roma.hcl that moved a node since the last apply
	// says so (it waited a minute for the node where roma.hcl puts it).
	stopped := plantest.NodeClient(spec2, "extra")
	_ = stopped.Shutdown(ctx).Err()
	stopped.Close()
	_, err := apply.Start(ctx, spec, apply.Scope{}, apply.Options{Dial: plantest.Dial})
	if want := "extra's conf file on db4 has it at " + spec.Addr("db4", 7301) + ", roma.hcl at " + spec.Addr("db4", 7300); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("roma start with the roma.hcl of before the move: %v; want %q", err, want)
	}
	if _, err := apply.Start(ctx, spec2, apply.Scope{}, apply.Options{Dial: plantest.Dial}); err != nil {
		t.Fatalf("roma start: %v", err)
	}

	// And back to 7300, after an apply that stopped half way: the conf
	// file says 7300 already, the process still runs at 7301. The
	// process in the pidfile says where it is: a move, not a node to
	// start (its process runs: starting it would do nothing).
	spec3 := writeConfig(t, dir, base+extraNode("db4"))
	n, _ := spec3.Node("extra")
	h4, _ := spec3.Host("db4")
	tr4, err := plantest.Dial(ctx, h4)
	if err != nil {
		t.Fatal(err)
	}
	defer tr4.Close()
	if err := tr4.WriteFile(ctx, cluster.LayoutOf(h4).Conf("extra"), redisconf.Render(spec3, redisconf.DataTarget(spec3, n)), 0o600); err != nil {
		t.Fatal(err)
	}
	p = makePlan(t, spec3)
	res = nil
	for i, r := range p.Resources {
		if r.Address == "node.extra" {
			res = &p.Resources[i]
		}
	}
	if res == nil || res.Action != plan.Restart || !slices.Contains(res.Steps, plan.Step{Op: "restart", Node: "extra", Addr: spec.Addr("db4", 7301)}) {
		t.Fatalf("plan after a half-done move: %+v; want a restart from %s", res, spec.Addr("db4", 7301))
	}
	applyUnderWrites(t, l, spec2, spec3, p, "half-done")
	spec = spec3
	makeMaster(t, spec, "extra")

	// Moved to another host: the node on db4 hands over, then goes; a
	// new one on db3 replicates.
	leave(t, l, spec, writeConfig(t, dir, base+extraNode("db3")), "moves to another host", func(r plan.Resource) bool {
		return r.Address == "node.extra" && r.Action == plan.Replace
	})
	spec = writeConfig(t, dir, base+extraNode("db3"))
	makeMaster(t, spec, "extra")

	// Removed from roma.hcl.
	leave(t, l, spec, writeConfig(t, dir, base), "is no longer in roma.hcl", func(r plan.Resource) bool {
		return r.Address == "node.extra" && r.Action == plan.Delete && slices.ContainsFunc(r.Reasons, func(s string) bool {
			return strings.Contains(s, "it hands over to") && strings.Contains(s, "so its")
		})
	})
	h, _ := spec.Host("db3")
	tr, err := plantest.Dial(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, err := tr.Stat(ctx, cluster.LayoutOf(h).Data("extra")); err != nil {
		t.Errorf("the removed node's data directory: %v, want it kept", err)
	}

	// Removed with its host: roma finds it at the address the published
	// status gives, hands over, and leaves it running as a replica (it
	// cannot reach the host to stop it).
	withAux := base + auxHost(l) + extraNode("aux")
	spec = writeConfig(t, dir, withAux)
	mustConverge(t, spec)
	makeMaster(t, spec, "extra")
	next := leave(t, l, spec, writeConfig(t, dir, base), "is no longer in roma.hcl, nor is its host", nil)
	c := plantest.NodeClient(spec, "extra")
	defer c.Close()
	reply, err := c.Info(ctx, "replication").Result()
	n, _ = spec.Node(next)
	if info := redisinfo.Parse(reply); err != nil || !info.Replica() || info.MasterAddr() != spec.Addr(n.Host, n.Port) {
		t.Errorf("extra, on the host roma.hcl no longer declares: %v %s; want a replica of %s", err, reply, next)
	}

	// A replica removed with its host: roma finds it at the address the
	// published status gives, and the plan says that it keeps running
	// (it said nothing of it before).
	spec = writeConfig(t, dir, withAux)
	mustConverge(t, spec)
	xn, _ := spec.Node("extra")
	want := "extra at " + spec.Addr(xn.Host, xn.Port) + " is no longer in roma.hcl, nor is its host: roma cannot reach its host to stop it, so it keeps running, a replica of " + next
	var notes []plan.Note
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		notes = makePlan(t, writeConfig(t, dir, base)).Notes
		if slices.ContainsFunc(notes, func(nt plan.Note) bool { return nt.Address == "node.extra" && strings.HasPrefix(nt.Message, want) }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("plan without extra and its host: notes %+v; want one on node.extra starting %q", notes, want)
		}
	}

	// Once the apply that removed it has run, the published status no
	// longer names it; the plan still says that partition 0's master has
	// a replica roma.hcl does not declare (it said nothing), until the
	// replica is stopped by hand.
	xaddr := spec.Addr(xn.Host, xn.Port)
	spec = writeConfig(t, dir, base)
	mustConverge(t, spec)
	strayNote := func(nt plan.Note) bool {
		return nt.Address == "partition.0" && strings.Contains(nt.Message, "has a replica at "+xaddr+" that roma.hcl does not declare")
	}
	if notes := makePlan(t, spec).Notes; !slices.ContainsFunc(notes, strayNote) {
		t.Errorf("plan once extra and its host are gone from roma.hcl: notes %+v; want one on partition.0 naming %s", notes, xaddr)
	}
	_ = c.Shutdown(ctx).Err() // stopped by hand, as the plan says
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		notes = makePlan(t, spec).Notes
		if !slices.ContainsFunc(notes, strayNote) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("plan once extra is stopped: notes %+v; want none on partition.0", notes)
		}
	}
}

// auxHost is a second host entry for the lab's db4, with a root of its
// own: roma, given roma.hcl without it, cannot see what is there.
func auxHost(l *lab.Lab) string {
	return hostEntry(l, "aux", l.Hosts[3], "/var/lib/roma/aux")
}

// leave applies spec2, in which the master extra of spec is moved or
// removed, while a client writes, and checks the plan, the apply and
// every write. extraRes, when set, must match a resource of the plan. It
// returns the node that took over.
func leave(t *testing.T, l *lab.Lab, spec, spec2 *cluster.Spec, why string, extraRes func(plan.Resource) bool) string {
	t.Helper()
	p := makePlan(t, spec2)
	var part, extra *plan.Resource
	for i, r := range p.Resources {
		switch {
		case r.Address == "partition.0":
			part = &p.Resources[i]
		case extraRes != nil && extraRes(r):
			extra = &p.Resources[i]
		}
	}
	if part == nil || extraRes != nil && extra == nil || len(p.Refusals) > 0 {
		t.Fatalf("plan: partition.0 %+v, node.extra as expected: %v, refusals %+v; resources %+v", part, extra != nil, p.Refusals, p.Resources)
	}
	if part.Drift || part.Action != plan.Update || len(part.Steps) == 0 || part.Steps[0].Op != "handover" || part.Steps[0].Node != "extra" ||
		!strings.Contains(part.Reasons[0], "its master extra ") || !strings.Contains(part.Reasons[0], " "+why+":") {
		t.Fatalf("partition.0: %+v, want a handover from extra, not drift", *part)
	}
	next := part.Steps[0].Target
	if got := applyUnderWrites(t, l, spec, spec2, p, "leave:"+strings.ReplaceAll(why, " ", "-")); got != next {
		t.Errorf("partition 0's master is %s, want %s, the node the plan handed over to", got, next)
	}
	return next
}

// applyUnderWrites applies p (spec2's plan) while a client of spec that
// follows the published status writes, and checks that no write failed
// for good or was lost, and that the plan after is empty. It returns
// partition 0's master after.
func applyUnderWrites(t *testing.T, l *lab.Lab, spec, spec2 *cluster.Spec, p *plan.Plan, prefix string) string {
	t.Helper()
	ctx := context.Background()
	c, before := specClient(t, spec)
	// The writer: a client that follows the published status, as an
	// application would.
	var (
		mu     sync.Mutex
		acked  = map[string]string{}
		inPart int
		failed []string
		stop   = make(chan struct{})
		done   = make(chan struct{})
	)
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			k, v := fmt.Sprintf("%s:%d", prefix, i), fmt.Sprint(i)
			err := c.Set(ctx, k, v, 0).Err()
			mu.Lock()
			if err != nil {
				failed = append(failed, fmt.Sprintf("SET %s: %v", k, err))
			} else {
				acked[k] = v
				if loc, _ := c.Locate(k); loc.Partition == 0 {
					inPart++
				}
			}
			mu.Unlock()
			time.Sleep(2 * time.Millisecond)
		}
	}()
	time.Sleep(300 * time.Millisecond)
	res, err := apply.Apply(ctx, spec2, p, apply.Options{Dial: plantest.Dial, ReadyTimeout: 30 * time.Second})
	time.Sleep(500 * time.Millisecond)
	close(stop)
	<-done
	if err != nil {
		l.LogTails(t, 25)
		t.Fatalf("apply: %v", err)
	}
	if res.Remaining != nil {
		t.Fatalf("apply left changes: %+v", res.Remaining.Resources)
	}
	if len(failed) > 0 {
		t.Errorf("%d writes failed (of %d), the first: %s", len(failed), len(failed)+len(acked), failed[0])
	}
	if inPart < 20 {
		t.Errorf("only %d writes to partition 0 acknowledged", inPart)
	}
	next, _ := roles(t, spec2, 0)
	// Every acknowledged write is there, read through a client of the new
	// roma.hcl once romad has published the new master.
	c2, err := client.NewFromSpec(ctx, spec2, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	// A new master comes with a higher epoch; the same one may keep its
	// (a restarted romad can renew the epoch it held).
	after := before.Epoch
	if before.Partitions[0].Master == next {
		after--
	}
	waitPublished(t, c2, 0, next, after)
	lost := 0
	var first string
	for k, v := range acked {
		if got, err := c2.Get(ctx, k).Result(); err != nil || got != v {
			if lost == 0 {
				first = fmt.Sprintf("%s = %q, %v; want %q", k, got, err, v)
			}
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged writes lost; one: %s", lost, len(acked), first)
	}
	t.Logf("%s: %d writes acknowledged (%d to partition 0), %d lost", prefix, len(acked), inPart, lost)
	if p := makePlan(t, spec2); p.HasChanges() || len(p.Refusals) > 0 {
		t.Fatalf("plan after apply: %+v, refusals %+v", p.Resources, p.Refusals)
	}
	return next
}

// makeMaster hands partition 0 over to name with FAILOVER and waits until
// romad publishes it.
func makeMaster(t *testing.T, spec *cluster.Spec, name string) {
	t.Helper()
	ctx := context.Background()
	c, st := specClient(t, spec)
	m, _ := roles(t, spec, 0)
	if m != name {
		n, _ := spec.Node(name)
		h, _ := spec.Host(n.Host)
		mc := plantest.NodeClient(spec, m)
		err := mc.Do(ctx, "FAILOVER", "TO", h.Address, n.Port, "TIMEOUT", 10000).Err()
		mc.Close()
		if err != nil {
			t.Fatalf("FAILOVER TO %s: %v", name, err)
		}
	}
	waitPublished(t, c, 0, name, st.Epoch-1)
	// The other replicas, which followed the old master, follow name
	// once romad has repointed them: the test must not race romad.
	n, _ := spec.Node(name)
	addr := spec.Addr(n.Host, n.Port)
	for _, o := range spec.PartitionNodes(0) {
		if o.Name == name {
			continue
		}
		oc := plantest.NodeClient(spec, o.Name)
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			reply, err := oc.Info(ctx, "replication").Result()
			info := redisinfo.Parse(reply)
			if err == nil && info.Replica() && info.MasterAddr() == addr && info.LinkUp() {
				break
			}
			if time.Now().After(deadline) {
				oc.Close()
				t.Fatalf("%s does not follow %s (%s) within 30s: %s", o.Name, name, addr, reply)
			}
		}
		oc.Close()
	}
}

// specClient returns a client of spec, closed when the test ends, and the
// status it reads.
func specClient(t *testing.T, spec *cluster.Spec) (*client.Client, *status.Status) {
	t.Helper()
	c, err := client.NewFromSpec(context.Background(), spec, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	st, err := c.Status()
	if err != nil {
		t.Fatal(err)
	}
	return c, st
}

// waitPublished waits until c's status names master as partition p's,
// at an epoch above epoch.
func waitPublished(t *testing.T, c *client.Client, p int, master string, epoch int64) {
	t.Helper()
	var st any
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		s, err := c.Status()
		if err == nil && s.Epoch > epoch && s.Partitions[p].Master == master {
			return
		}
		st = s
		if err != nil {
			st = err
		}
	}
	lab.Shared(t).LogTails(t, 25) // romad's and the nodes' side of it
	t.Fatalf("romad did not publish %s as partition %d's master above epoch %d within 30s: %+v", master, p, epoch, st)
}
