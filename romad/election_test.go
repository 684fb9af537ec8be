package romad

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconn/redistest"
	"github.com/roma-redis/roma/redisinfo"
	"github.com/roma-redis/roma/status"
)

// statusNodes starts three status nodes (real redis-servers) and gives
// romad's clients of them, by address, with timeout.
func statusNodes(t *testing.T, timeout time.Duration) ([]*redistest.Server, map[string]*redis.Client) {
	t.Helper()
	const pw = "election-test-password"
	clients := map[string]*redis.Client{}
	var servers []*redistest.Server
	for range 3 {
		s := redistest.Start(t, pw)
		servers = append(servers, s)
		c := newNodeClient(s.Addr, "127.0.0.1", cluster.NewSecret(pw), timeout)
		t.Cleanup(func() { c.Close() })
		clients[s.Addr] = c
	}
	return servers, clients
}

// holdEverywhere has l claim epoch 1 and waits until every status node
// grants it: claim returns once a majority did, and the others follow.
func holdEverywhere(t *testing.T, l *lease) {
	t.Helper()
	if !l.claim(context.Background(), 1) {
		t.Fatalf("%s did not get epoch 1", l.self)
	}
	holder := l.self + "|1"
	for addr, c := range l.statuses {
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if h, _ := c.Get(context.Background(), status.AlphaKey(l.cluster)).Result(); h == holder {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the lease is not granted to %s on status node %s", holder, addr)
			}
		}
	}
}

// TestQuorumHungStatusNode: with one of three status nodes hung (a real
// redis-server, stopped: it accepts connections and never answers), the
// lease is won, renewed, refused to a rival and bumped on the answers of
// the other two, and fromQuorum reads from them, each without waiting for
// the hung node until its time runs out.
func TestQuorumHungStatusNode(t *testing.T) {
	servers, clients := statusNodes(t, 10*time.Second)
	servers[1].Pause(t)
	ctx := context.Background()
	// A long lease: its claims may wait 0.3 × 20 s for an answer, far
	// longer than two live nodes take.
	const duration = 20 * time.Second
	patience := time.Duration(float64(duration) * 0.3)
	a := &lease{cluster: "qt", self: "db1", duration: duration, statuses: clients}
	b := &lease{cluster: "qt", self: "db2", duration: duration, statuses: clients}
	timed := func(what string, f func() bool, want bool) {
		t.Helper()
		start := time.Now()
		got := f()
		if took := time.Since(start); took >= patience {
			t.Errorf("%s took %s: it waited for the hung status node", what, took.Round(time.Millisecond))
		}
		if got != want {
			t.Errorf("%s: %v, want %v", what, got, want)
		}
	}
	timed("db1 claims epoch 1", func() bool { return a.claim(ctx, 1) }, true)
	timed("db1 renews epoch 1", func() bool { return a.claim(ctx, 1) }, true)
	timed("db2 claims epoch 2 while db1 holds the lease", func() bool { return b.claim(ctx, 2) }, false)
	timed("db1 bumps to epoch 2", func() bool {
		e, err := a.bump(ctx)
		return err == nil && e == 2
	}, true)
	if e, ok := a.valid(); !ok || e != 2 {
		t.Errorf("db1 holds epoch %d (valid %v), want 2", e, ok)
	}

	var got []string
	timed("fromQuorum", func() bool {
		got = fromQuorum(ctx, clients, patience, func(ctx context.Context, c *redis.Client) (string, error) {
			return c.Get(ctx, "roma:qt:alpha").Result()
		})
		return len(got) == 2
	}, true)
	for _, h := range got {
		if h != "db1|2" {
			t.Errorf("a status node says the alpha is %q, want db1|2", h)
		}
	}
}

// TestLeaseLapsedOnOneNode: when the alpha's lease lapses on one status
// node alone (it hung past the lease, or restarted), a rival romad does not
// take that node (a majority still shows the alpha: the rival does not
// claim), and the alpha's next renewal takes it back under the same epoch.
func TestLeaseLapsedOnOneNode(t *testing.T) {
	servers, clients := statusNodes(t, 5*time.Second)
	lapsed := clients[servers[2].Addr]
	ctx := context.Background()
	a := &lease{cluster: "qt", self: "db1", duration: 20 * time.Second, statuses: clients}
	b := &lease{cluster: "qt", self: "db2", duration: 20 * time.Second, statuses: clients}
	holdEverywhere(t, a)
	b.highest = 1 // as a refused claim tells it
	// The lease lapses on one node.
	if err := lapsed.Del(ctx, "roma:qt:alpha").Err(); err != nil {
		t.Fatal(err)
	}
	if b.tick(ctx) {
		t.Fatal("db2 became alpha while db1 holds the lease on a majority")
	}
	if e, _ := lapsed.Get(ctx, "roma:qt:epoch").Int64(); e != 1 {
		t.Errorf("the node where the lease lapsed holds epoch %d now, want 1 (db2 claimed it)", e)
	}
	if !a.claim(ctx, 1) {
		t.Fatal("db1 could not renew epoch 1")
	}
	// claim returns once a majority granted: the third grant may follow.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		h, err := lapsed.Get(ctx, "roma:qt:alpha").Result()
		if h == "db1|1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the node where the lease lapsed: holder %q (%v) 10s after db1's renewal, want db1|1", h, err)
		}
	}
}

// TestStatusNodesLostData: two of three status nodes come back empty (their
// disks replaced) while the third keeps epoch 11, and every romad
// restarted (none remembers 11). The romad that wins the lease on the two
// empty nodes then takes an epoch above 11, so that its status replaces
// the third node's (a status write needs a higher epoch) and clients,
// which follow only growing epochs, follow it.
func TestStatusNodesLostData(t *testing.T) {
	servers, clients := statusNodes(t, 5*time.Second)
	ctx := context.Background()
	old := &lease{cluster: "qt", self: "db1", duration: 20 * time.Second, statuses: clients}
	if !old.claim(ctx, 11) {
		t.Fatal("db1 did not get epoch 11")
	}
	kept := clients[servers[2].Addr]
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if e, _ := kept.Get(ctx, "roma:qt:epoch").Int64(); e == 11 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("epoch 11 is not granted on the third status node")
		}
	}
	old.release(ctx) // db1 stops
	for _, s := range servers[:2] {
		if err := clients[s.Addr].FlushAll(ctx).Err(); err != nil {
			t.Fatal(err)
		}
	}

	// romad ticks every interval; the third node's refusal, which says
	// 11, may come after the two empty nodes granted.
	fresh := &lease{cluster: "qt", self: "db2", duration: 20 * time.Second, statuses: clients}
	var e int64
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if !fresh.tick(ctx) {
			t.Fatal("db2 is not alpha")
		}
		if e, _ = fresh.valid(); e > 11 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("db2 is alpha at epoch %d, want above 11, the epoch the third status node keeps", e)
		}
	}
	// Granted by a majority when bump returns; the third node follows.
	for addr, c := range clients {
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			got, _ := c.Get(ctx, "roma:qt:epoch").Int64()
			if got == e {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("status node %s holds epoch %d, want %d", addr, got, e)
			}
		}
	}
}

// TestLeaseAboveStoredStatus: a status node that holds a status at epoch
// 9 but no epoch key (deleted by hand, or restored from an older dump)
// grants no epoch up to 9: the alpha would win the lease and have every
// status write refused, stepping down and winning again for good.
func TestLeaseAboveStoredStatus(t *testing.T) {
	servers, clients := statusNodes(t, 5*time.Second)
	ctx := context.Background()
	st := &status.Status{Version: status.SchemaVersion, Cluster: "qt", State: status.OK, Epoch: 9, Alpha: "db1",
		Hash: "jump", Partitions: []status.Partition{{Master: "n1"}}, Nodes: map[string]status.NodeState{"n1": {Addr: "127.0.0.1:1", Role: "master", State: status.NodeUp}}}
	for _, s := range servers {
		if err := status.Write(ctx, clients[s.Addr], st); err != nil {
			t.Fatal(err)
		}
	}
	l := &lease{cluster: "qt", self: "db2", duration: 20 * time.Second, statuses: clients}
	if l.claim(ctx, 1) {
		t.Fatal("epoch 1 granted by status nodes that hold a status at epoch 9")
	}
	var e int64
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if l.tick(ctx) {
			if e, _ = l.valid(); e > 9 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the lease is at epoch %d, want above 9", e)
		}
	}
	st.Epoch, st.Alpha = e, "db2"
	for _, s := range servers {
		if err := status.Write(ctx, clients[s.Addr], st); err != nil {
			t.Errorf("status write at the granted epoch %d on %s: %v", e, s.Addr, err)
		}
	}
}

// TestMaintenanceOutlivesSlowRead: once the alpha has seen roma restore's
// maintenance flag, a read that a majority of status nodes do not answer
// in time does not end maintenance (the alpha would fail over the nodes
// restore has stopped), and the alpha is told not to decide on it.
func TestMaintenanceOutlivesSlowRead(t *testing.T) {
	servers, clients := statusNodes(t, 10*time.Second)
	ctx := context.Background()
	d := &Daemon{
		cfg:      Config{Self: "db1"},
		spec:     &cluster.Spec{Name: "mt", Romad: &cluster.Romad{Hosts: []string{"db1", "db2"}}},
		statuses: clients,
		log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	maint := func() bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.maintenance
	}
	if ok := d.readOthers(ctx); !ok || maint() {
		t.Fatalf("before maintenance: read %v, maintenance %v; want a read, no maintenance", ok, maint())
	}
	for _, c := range clients {
		if err := c.Set(ctx, status.MaintenanceKey("mt"), "restore", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if ok := d.readOthers(ctx); !ok || !maint() {
		t.Fatalf("maintenance set: read %v, maintenance %v; want a read, maintenance", ok, maint())
	}
	// Two hung: one answer, short of a majority. Then all three.
	servers[0].Pause(t)
	servers[2].Pause(t)
	for _, hung := range []int{2, 3} {
		if hung == 3 {
			servers[1].Pause(t)
		}
		if d.readOthers(ctx) {
			t.Errorf("readOthers with %d of 3 status nodes hung: true, want false (no majority answered)", hung)
		}
		if !maint() {
			t.Errorf("maintenance ended by a read with %d of 3 status nodes hung", hung)
		}
	}
}

// TestFencedReplicaOf: the alpha's REPLICAOF goes out under its lease
// and not after: when the alpha stalls past the moment its lease may have
// lapsed (here, a sleep between taking the fence and sending), the
// command fails without reaching the node (a real redis-server, which
// stays master); once the lease has lapsed nothing is sent at all.
func TestFencedReplicaOf(t *testing.T) {
	const pw = "fence-test-password"
	node, other := redistest.Start(t, pw), redistest.Start(t, pw)
	c := newNodeClient(node.Addr, "127.0.0.1", cluster.NewSecret(pw), 10*time.Second)
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	role := func() string {
		t.Helper()
		info, err := c.Info(ctx, "replication").Result()
		if err != nil {
			t.Fatal(err)
		}
		return redisinfo.Parse(info)["role"]
	}
	host, port, _ := net.SplitHostPort(other.Addr)
	l := &lease{cluster: "ft", self: "db1", duration: time.Second}
	l.epoch, l.validUntil = 4, time.Now().Add(300*time.Millisecond)

	if _, _, ok := l.fenced(ctx, 3); ok {
		t.Errorf("fenced for epoch 3 while holding 4: ok")
	}
	fctx, cancel, ok := l.fenced(ctx, 4)
	defer cancel()
	if !ok {
		t.Fatal("fenced for the epoch held: not ok")
	}
	if d, _ := fctx.Deadline(); !d.Equal(l.validUntil) {
		t.Errorf("fenced deadline %v, want the lease's %v", d, l.validUntil)
	}
	time.Sleep(time.Until(l.validUntil) + 50*time.Millisecond) // the alpha stalls
	if err := c.ReplicaOf(fctx, host, port).Err(); err == nil {
		t.Errorf("REPLICAOF after the lease lapsed: no error")
	}
	if r := role(); r != "master" {
		t.Errorf("node role %q after a fenced REPLICAOF, want master (the command went out)", r)
	}
	if _, _, ok := l.fenced(ctx, 4); ok {
		t.Errorf("fenced after the lease lapsed: ok")
	}

	// Within the lease, it goes out.
	l.validUntil = time.Now().Add(5 * time.Second)
	fctx, cancel2, _ := l.fenced(ctx, 4)
	defer cancel2()
	if err := c.ReplicaOf(fctx, host, port).Err(); err != nil {
		t.Fatalf("REPLICAOF within the lease: %v", err)
	}
	if r := role(); r != "slave" {
		t.Errorf("node role %q after REPLICAOF within the lease, want slave", r)
	}
}

// TestSplitVote: romads that each won the lease on some status nodes, and
// none on a majority (they claimed at once, each reaching its own nodes
// first), end with one alpha. Each used to re-claim the nodes it held,
// with a higher epoch, before its lease there ran out: with two status
// nodes split between two romads, or three between three, no romad ever
// won again (seen in the apply lab: no alpha for 30s after romad
// restarts, so no failover followed).
func TestSplitVote(t *testing.T) {
	servers, all := statusNodes(t, 2*time.Second)
	for _, tc := range []struct {
		name  string
		nodes int // status nodes, each won by a romad of its own
	}{
		{"two status nodes, two romads", 2},
		{"three status nodes, three romads", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			clients := map[string]*redis.Client{}
			for _, s := range servers[:tc.nodes] {
				clients[s.Addr] = all[s.Addr]
				if err := all[s.Addr].FlushAll(ctx).Err(); err != nil {
					t.Fatal(err)
				}
			}
			const duration = 2 * time.Second
			var leases []*lease
			for i, s := range servers[:tc.nodes] {
				l := &lease{cluster: "sv", self: fmt.Sprintf("db%d", i+1), duration: duration, statuses: clients}
				// Epoch 1, granted by this node alone.
				one := &lease{cluster: "sv", self: l.self, duration: duration, statuses: map[string]*redis.Client{s.Addr: all[s.Addr]}}
				if g, _, _ := one.ask(ctx, 1); g != 1 {
					t.Fatalf("%s: epoch 1 not granted on %s", l.self, s.Addr)
				}
				l.highest = 1 // as the others' refusals told it
				leases = append(leases, l)
			}
			kctx, cancel := context.WithCancel(ctx)
			defer cancel()
			for _, l := range leases {
				go l.keep(kctx, 200*time.Millisecond)
			}
			deadline := time.Now().Add(15 * time.Second)
			for {
				var alphas []string
				for _, l := range leases {
					if e, ok := l.valid(); ok {
						alphas = append(alphas, fmt.Sprintf("%s at epoch %d", l.self, e))
					}
				}
				if len(alphas) > 1 {
					t.Fatalf("two alphas at once: %v", alphas)
				}
				if len(alphas) == 1 {
					t.Logf("alpha: %s", alphas[0])
					return
				}
				if time.Now().After(deadline) {
					var held []string
					for addr, c := range clients {
						h, _ := c.Get(ctx, status.AlphaKey("sv")).Result()
						held = append(held, fmt.Sprintf("%s: %q", addr, h))
					}
					t.Fatalf("no alpha within 15s (%s lease); the status nodes' holders: %v", duration, held)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// TestStartingRomadWinsAtOnce: a romad that just started (it knows no
// epoch) facing status nodes at epoch 5 that no romad holds becomes alpha
// at its first tick, above epoch 5: the refusals tell it the highest
// epoch, and it asks again at once. It used to wait up to half a lease
// more (a random wait meant for competing romads): after every romad
// restart (an apply that changes romad's configuration), no alpha, so no
// failover, for up to a second.
func TestStartingRomadWinsAtOnce(t *testing.T) {
	_, clients := statusNodes(t, 2*time.Second)
	ctx := context.Background()
	old := &lease{cluster: "sr", self: "db1", duration: 2 * time.Second, statuses: clients}
	for e := int64(1); e <= 5; e++ {
		if !old.claim(ctx, e) {
			t.Fatalf("db1 could not take epoch %d", e)
		}
	}
	// Every status node has granted epoch 5 before the release: a claim
	// returns once a majority did, and on a loaded machine the third
	// grant could land after the release and hold the lease there.
	holdIs := func(want string) {
		t.Helper()
		for addr, c := range clients {
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				if h, err := c.Get(ctx, status.AlphaKey("sr")).Result(); h == want && (err == nil || errors.Is(err, redis.Nil)) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the lease on status node %s is not %q within 10s", addr, want)
				}
			}
		}
	}
	holdIs("db1|5")
	old.release(ctx)
	holdIs("")
	l := &lease{cluster: "sr", self: "db2", duration: 2 * time.Second, statuses: clients}
	if !l.tick(ctx) {
		l.mu.Lock() // a straggling answer may still be noted
		defer l.mu.Unlock()
		t.Fatalf("a starting romad is not alpha after its first tick (highest epoch seen %d, holder %q, next try in %v)", l.highest, l.holder, time.Until(l.nextTry))
	}
	if e, _ := l.valid(); e <= 5 {
		t.Errorf("alpha at epoch %d, want above 5", e)
	}
}

// TestTakeOverAtRelease: a romad that found the lease held by another
// takes it at its next tick once the alpha gives it up (as roma apply's
// restart of the alpha does). It used to wait up to half a lease more (a
// random wait meant for competing claims), without an alpha meanwhile.
func TestTakeOverAtRelease(t *testing.T) {
	_, clients := statusNodes(t, 2*time.Second)
	ctx := context.Background()
	a := &lease{cluster: "tr", self: "db1", duration: 2 * time.Second, statuses: clients}
	b := &lease{cluster: "tr", self: "db2", duration: 2 * time.Second, statuses: clients}
	holdEverywhere(t, a)
	if b.tick(ctx) {
		t.Fatal("db2 became alpha while db1 holds the lease")
	}
	a.release(ctx)
	if !b.tick(ctx) {
		t.Fatalf("db2 is not alpha at its first tick after db1 gave the lease up")
	}
	if e, _ := b.valid(); e <= 1 {
		t.Errorf("db2 is alpha at epoch %d, want above 1", e)
	}
}

// TestAlphaRetakesRivalsNode: two romads claimed epoch 1 at once; db1 won
// two status nodes, db2 the third, and gave it back (a minority). That
// node, free, refuses epoch 1 to db1 for good (db2 owns it there). The
// alpha takes a new epoch, which every node grants, so that it survives
// the loss of either of its other two nodes. It used to keep epoch 1 on a
// bare majority: in the romad lab, when a status node hung, the alpha lost
// its lease (and failover) with two status nodes up.
func TestAlphaRetakesRivalsNode(t *testing.T) {
	servers, clients := statusNodes(t, 2*time.Second)
	ctx := context.Background()
	const duration = 2 * time.Second
	rival := servers[2]
	two := map[string]*redis.Client{}
	for _, s := range servers[:2] {
		two[s.Addr] = clients[s.Addr]
	}
	b := &lease{cluster: "rt", self: "db2", duration: duration,
		statuses: map[string]*redis.Client{rival.Addr: clients[rival.Addr]}}
	if g, _, _ := b.ask(ctx, 1); g != 1 {
		t.Fatalf("db2: epoch 1 not granted on %s", rival.Addr)
	}
	b.giveBack(ctx)
	a := &lease{cluster: "rt", self: "db1", duration: duration, statuses: clients}
	if !a.claim(ctx, 1) {
		t.Fatal("db1 did not get epoch 1 on the two other status nodes")
	}
	// Renewals come due after a third of the lease: tick through two.
	kctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go a.keep(kctx, 200*time.Millisecond)
	var e int64
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		h, _ := clients[rival.Addr].Get(ctx, status.AlphaKey("rt")).Result()
		if held, _ := a.valid(); h != "" && h == fmt.Sprintf("db1|%d", held) {
			e = held
			break
		}
		if time.Now().After(deadline) {
			held, ok := a.valid()
			t.Fatalf("db1 (alpha %v at epoch %d) does not hold status node %s after 5s: its holder is %q", ok, held, rival.Addr, h)
		}
	}
	if e <= 1 {
		t.Errorf("db1 holds every status node at epoch %d, want above 1", e)
	}
	// Now either other status node may hang: the alpha keeps its lease.
	resume := servers[0].Pause(t)
	defer resume()
	for end := time.Now().Add(2 * duration); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if _, ok := a.valid(); !ok {
			t.Fatalf("db1 lost its lease with status node %s hung and two up", servers[0].Addr)
		}
	}
}

// TestClaimAtNextTry: a romad whose claim failed claims again when its
// random wait ends, not at the tick after: rounded to 200ms ticks, the
// waits of romads that split a vote fell in five slots, and they collided
// again about once in five.
func TestClaimAtNextTry(t *testing.T) {
	_, clients := statusNodes(t, 2*time.Second)
	l := &lease{cluster: "nt", self: "db1", duration: 2 * time.Second, statuses: clients}
	l.nextTry = time.Now().Add(100 * time.Millisecond) // as a failed claim sets it
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	go l.keep(ctx, 2*time.Second) // a tick far longer than the wait
	for {
		if _, ok := l.valid(); ok {
			t.Logf("alpha after %s", time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Since(start) > time.Second {
			t.Fatal("not alpha 1s after a wait of 100ms: the claim waited for the next tick")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestClaimSplitWithHungNode: with one of three status nodes hung, a
// claim that one live node grants and the other refuses (a rival holds
// it) fails without waiting for the hung node, and gives its grant back
// at once. It used to hold that grant for patience (0.3 × the lease),
// blocking the rival's claims meanwhile: two romads that split the two
// live nodes did so again and again (5s without an alpha).
func TestClaimSplitWithHungNode(t *testing.T) {
	servers, clients := statusNodes(t, 20*time.Second)
	servers[2].Pause(t)
	ctx := context.Background()
	const duration = 20 * time.Second // patience: 6s
	rival := &lease{cluster: "sh", self: "db2", duration: duration,
		statuses: map[string]*redis.Client{servers[1].Addr: clients[servers[1].Addr]}}
	if g, _, _ := rival.ask(ctx, 1); g != 1 {
		t.Fatal("db2 was not granted epoch 1 on its node")
	}
	l := &lease{cluster: "sh", self: "db1", duration: duration, statuses: clients}
	start := time.Now()
	won := l.claim(ctx, 2)
	took := time.Since(start)
	if won {
		t.Fatal("db1 won a claim that one live node refused, with the third hung")
	}
	if took > l.patience()/2 {
		t.Errorf("the claim took %s: it waited for the hung status node (patience %s)", took.Round(time.Millisecond), l.patience())
	}
	if h, _ := clients[servers[0].Addr].Get(ctx, status.AlphaKey("sh")).Result(); h != "" {
		t.Errorf("status node %s still holds %q after the failed claim; want it given back", servers[0].Addr, h)
	}
	t.Logf("the split claim failed after %s", took.Round(time.Millisecond))
}

// TestAlphaWithDistantStatusNode: of three status nodes, one is down and
// one answers about 120ms after the other (further away, or on a loaded
// host). The claim, and every renewal, needs both live nodes; no node
// contests them, so romad waits for the distant one: it becomes alpha,
// and stays alpha. It used to give up on the distant node after twice the
// near one's time and 50ms, and never won.
func TestAlphaWithDistantStatusNode(t *testing.T) {
	servers, clients := statusNodes(t, 10*time.Second)
	servers[2].Kill(t)
	far := delayProxy(t, servers[1].Addr, 60*time.Millisecond)
	fc := newNodeClient(far, "127.0.0.1", cluster.NewSecret("election-test-password"), 10*time.Second)
	t.Cleanup(func() { fc.Close() })
	statuses := map[string]*redis.Client{servers[0].Addr: clients[servers[0].Addr], servers[2].Addr: clients[servers[2].Addr], far: fc}
	l := &lease{cluster: "far", self: "db1", duration: 2 * time.Second, statuses: statuses}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); l.keep(ctx, 200*time.Millisecond) }()
	t.Cleanup(func() { cancel(); <-done })

	start := time.Now()
	for {
		if _, ok := l.valid(); ok {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("db1 is not alpha after 5s, with one status node down and one distant")
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("alpha after %s", time.Since(start).Round(time.Millisecond))
	// Three leases long, never without it.
	for end := time.Now().Add(3 * l.duration); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if _, ok := l.valid(); !ok {
			t.Fatalf("db1 lost its lease after %s as alpha", time.Since(start).Round(time.Millisecond))
		}
	}
}

// delayProxy forwards TCP connections to target, each chunk of bytes
// after d, in both directions: a status node d further away, each way.
// It stops when the test ends.
func delayProxy(t *testing.T, target string, d time.Duration) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	pipe := func(dst, src net.Conn) {
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				time.Sleep(d)
				if _, werr := dst.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		dst.Close()
		src.Close()
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, u)
			mu.Unlock()
			go pipe(u, c)
			go pipe(c, u)
		}
	}()
	return ln.Addr().String()
}

// heldByRival starts two status nodes for cluster and has a rival, db2,
// win epoch 1 on the second with a lease of d: the start of the tests of a
// claim that this node refuses.
func heldByRival(t *testing.T, cluster string, d time.Duration) ([]*redistest.Server, map[string]*redis.Client, *lease) {
	t.Helper()
	servers, clients := statusNodes(t, 10*time.Second)
	b := servers[1].Addr
	rival := &lease{cluster: cluster, self: "db2", duration: d, statuses: map[string]*redis.Client{b: clients[b]}}
	if g, _, _ := rival.ask(context.Background(), 1); g != 1 {
		t.Fatal("db2 was not granted epoch 1 on its node")
	}
	return servers, clients, rival
}

// TestFailedClaimLeavesNoGrant: a claim that fails leaves no status node
// held, even one whose grant came after the refusals decided the claim.
// Two status nodes; a rival holds one, which refuses at once, and the
// other answers late (stopped for 150ms), granting the claim after it
// failed. That grant, kept, held the node for a whole lease with no
// romad renewing it or knowing of it: with two status nodes, two romads
// made such grants in turn and no alpha was elected for 30s and more (in
// the apply lab, epochs climbing by the dozen).
func TestFailedClaimLeavesNoGrant(t *testing.T) {
	servers, clients, _ := heldByRival(t, "fc", 2*time.Second)
	a, b := servers[0].Addr, servers[1].Addr
	ctx := context.Background()
	resume := servers[0].Pause(t)
	time.AfterFunc(150*time.Millisecond, resume)
	l := &lease{cluster: "fc", self: "db1", duration: 2 * time.Second, statuses: map[string]*redis.Client{a: clients[a], b: clients[b]}}
	if l.claim(ctx, 2) {
		t.Fatal("db1 won a claim that one of two status nodes refused")
	}
	// The late grant has come (and gone) well before half a lease.
	time.Sleep(600 * time.Millisecond)
	if h, _ := clients[a].Get(ctx, status.AlphaKey("fc")).Result(); strings.HasPrefix(h, "db1|") {
		t.Errorf("status node %s holds %q after db1's claim failed", a, h)
	}
}

// TestLateGrantOfAnOldClaim: a grant that comes after its claim failed is
// given back only while no later claim was made: given back after a later
// claim won, it took the winner's own lease from that node, and a rival
// could become alpha beside it (two alphas at once in TestElectionChaos).
// Two status nodes; the first claim's grant on one of them is made at
// once, but its answer comes 400ms late; a rival holds the other. The
// first claim fails, the rival lets go, and a second claim wins both
// nodes before the late answer comes. The winner must still hold both.
func TestLateGrantOfAnOldClaim(t *testing.T) {
	servers, clients, rival := heldByRival(t, "lg", 4*time.Second)
	a, b := servers[0].Addr, servers[1].Addr
	ctx := context.Background()
	if err := leaseScript.Load(ctx, clients[a]).Err(); err != nil { // EVALSHA runs it at once
		t.Fatal(err)
	}
	slow := &slowReplies{delay: 400 * time.Millisecond}
	slow.armed.Store(true)
	clients[a].AddHook(slow)
	l := &lease{cluster: "lg", self: "db1", duration: 4 * time.Second, statuses: map[string]*redis.Client{a: clients[a], b: clients[b]}}
	if l.claim(ctx, 2) {
		t.Fatal("db1 won a claim that one of two status nodes refused")
	}
	rival.release(ctx)
	if !l.claim(ctx, 3) {
		t.Fatal("db1 did not win epoch 3 with both status nodes free")
	}
	time.Sleep(800 * time.Millisecond) // the first claim's answer has come
	for _, addr := range []string{a, b} {
		if h, _ := clients[addr].Get(ctx, status.AlphaKey("lg")).Result(); h != "db1|3" {
			t.Errorf("status node %s holds %q, want db1|3: the alpha's lease was taken from it", addr, h)
		}
	}
}

// slowReplies delays, once armed, the reply to the next lease script run
// (the script itself runs at once).
type slowReplies struct {
	delay time.Duration
	armed atomic.Bool
}

func (*slowReplies) DialHook(next redis.DialHook) redis.DialHook { return next }
func (s *slowReplies) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if n := cmd.Name(); (n == "evalsha" || n == "eval") && s.armed.CompareAndSwap(true, false) {
			time.Sleep(s.delay)
		}
		return err
	}
}
func (*slowReplies) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
