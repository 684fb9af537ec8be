package romad

import (
	"context"
	"testing"
	"time"

	"github.com/roma-redis/roma/status"
)

// TestDownAfterMaintenanceEnds: a master down for longer than down_after
// while the cluster is in maintenance (roma restore stops nodes so) is not
// failed over the moment maintenance ends, but only once it has stayed
// down for down_after after it: the alpha used to fail it over (or
// declare HALT) at once, though a master just brought back may simply
// not have answered a probe yet. A master still down then is failed
// over. Real redis-servers and a real romad (New, Run).
func TestDownAfterMaintenanceEnds(t *testing.T) {
	ctx := context.Background()
	p := newPair(t, "me", "maintenance-end-password", "2s")
	n1, sc := p.n1, p.status
	runRomad(t, p.spec)
	p.waitStatus(t, "n1 published as master, n2 in sync", func(s *status.Status) bool {
		return s.State == status.OK && s.Partitions[0].Master == "n1" && len(s.Partitions[0].Replicas) == 1
	})
	if err := sc.Set(ctx, status.MaintenanceKey("me"), `{"operation":"test"}`, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	p.waitStatus(t, "maintenance published", func(s *status.Status) bool { return s.Maintenance })
	n1.Kill(t)
	time.Sleep(3 * time.Second) // longer than down_after, in maintenance
	if s, _ := status.Read(ctx, sc, "me"); s == nil || s.Partitions[0].Master != "n1" {
		t.Fatalf("in maintenance, the status changed: %+v", s)
	}
	if err := sc.Del(ctx, status.MaintenanceKey("me")).Err(); err != nil {
		t.Fatal(err)
	}
	ended := time.Now()
	// romad sees the end at its next reading, after ended: nothing may
	// change for down_after (2s) from then; 1.5s is checked.
	for time.Since(ended) < 1500*time.Millisecond {
		s, err := status.Read(ctx, sc, "me")
		if err != nil {
			t.Fatal(err)
		}
		if s.Partitions[0].Master != "n1" || s.State == status.Halt {
			t.Fatalf("%s after maintenance ended, the status is %s with master %q: n1 was failed over though its downtime in maintenance should not count",
				time.Since(ended).Round(time.Millisecond), s.State, s.Partitions[0].Master)
		}
		time.Sleep(50 * time.Millisecond)
	}
	s := p.waitStatus(t, "n2 promoted once n1 stayed down for down_after after maintenance", func(s *status.Status) bool {
		return s.Partitions[0].Master == "n2"
	})
	t.Logf("n2 promoted %s after maintenance ended, at epoch %d", time.Since(ended).Round(10*time.Millisecond), s.Epoch)
}

// TestMaintenanceEndClearsLost: a partition in HALT waits for the master
// it lost; a node that comes back meanwhile does not lead. Maintenance
// (roma restore, which may restore the partition onto that node) owns the
// nodes: once it ends, what it made of them stands, and the node leads;
// but not after a maintenance that names only other partitions (roma
// restore names those it restores). A maintenance that names none (an
// operator's own value) may have changed them all. Real redis-servers and
// a real romad (New, Run).
func TestMaintenanceEndClearsLost(t *testing.T) {
	for _, tc := range []struct{ name, value string }{
		{"restore of partition 0", `{"operation":"restore x","partitions":[0]}`},
		{"an operator's own", `1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			p := newPair(t, "ml", "maintenance-lost-password", "1s")
			sc := p.status
			runRomad(t, p.spec)
			p.haltLosingN1(t)
			p.n2.Relaunch(t) // a master, on its own
			p.waitStatus(t, "n2 up", func(s *status.Status) bool { return s.Nodes["n2"].State == status.NodeUp })
			time.Sleep(2 * time.Second)
			if s, _ := status.Read(ctx, sc, "ml"); s == nil || s.Partitions[0].Master != "" {
				t.Fatalf("n2 leads while the partition waits for n1, the master it lost: %+v", s)
			}
			maintenance := func(value string) {
				t.Helper()
				if err := sc.Set(ctx, status.MaintenanceKey("ml"), value, time.Minute).Err(); err != nil {
					t.Fatal(err)
				}
				p.waitStatus(t, "maintenance published", func(s *status.Status) bool { return s.Maintenance })
				if err := sc.Del(ctx, status.MaintenanceKey("ml")).Err(); err != nil {
					t.Fatal(err)
				}
				p.waitStatus(t, "maintenance ended", func(s *status.Status) bool { return !s.Maintenance })
			}
			maintenance(`{"operation":"restore y","partitions":[1, 2]}`)
			time.Sleep(2 * time.Second)
			if s, _ := status.Read(ctx, sc, "ml"); s == nil || s.Partitions[0].Master != "" || s.Partitions[0].Lost != "n1" {
				t.Fatalf("after a maintenance of partitions 1 and 2, partition 0 no longer waits for n1, the master it lost: %+v", s)
			}
			maintenance(tc.value)
			p.waitStatus(t, "n2 master once maintenance ended", func(s *status.Status) bool {
				return !s.Maintenance && s.Partitions[0].Master == "n2" && s.Partitions[0].Lost == ""
			})
		})
	}
}

// TestLostOutlivesRomad: the master a partition lost at HALT is read back
// from the status by the next alpha (a romad restarted), which waits for
// it as the first did: a node back on older data does not lead.
func TestLostOutlivesRomad(t *testing.T) {
	ctx := context.Background()
	p := newPair(t, "lr", "lost-restart-password", "1s")
	stop := runRomad(t, p.spec)
	halt := p.haltLosingN1(t)
	stop()
	runRomad(t, p.spec)
	p.n2.Relaunch(t) // a master, on its own
	p.waitStatus(t, "a new alpha", func(s *status.Status) bool { return s.Epoch > halt.Epoch && s.Nodes["n2"].State == status.NodeUp })
	time.Sleep(2 * time.Second)
	if s, _ := status.Read(ctx, p.status, "lr"); s == nil || s.Partitions[0].Master != "" || s.Partitions[0].Lost != "n1" {
		t.Fatalf("after a romad restart, the partition no longer waits for n1, the master it lost: %+v", s)
	}
}
