package romad

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/roma-redis/roma/client"
	"github.com/roma-redis/roma/status"
)

// TestClientFollowsRomadFailover: a client built from roma.hcl, with no
// option of its own, under a write loop while the master is killed and
// romad (a real one, down_after 4s) fails it over to its replica. Its
// commands wait for the failover as long as romad takes, down_after and
// a little more: only the writes in flight when the master died fail
// (ErrConnLost: they may have run). With a fixed 3s wait, shorter than
// down_after, writes that found the master gone failed too
// (ErrNoFailover). Real redis-servers.
func TestClientFollowsRomadFailover(t *testing.T) {
	p := newPair(t, "cf", "client-failover-test-password", "4s")
	c := p.romadClient(t, client.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	const writers = 4
	gather := startWriters(ctx, writers, func(w, i int) (string, error) {
		k := fmt.Sprintf("counter%d", w)
		return k, c.Set(ctx, k, i, 0).Err()
	})
	// The replica holds the writers' keys, as romad sees it: romad
	// promotes no replica that holds none of the data its master had.
	p.waitStatus(t, "n2 holding the writers' keys", func(s *status.Status) bool { return s.Nodes["n2"].Keys >= writers })
	time.Sleep(200 * time.Millisecond)
	killed := time.Now()
	p.n1.Kill(t)
	p.waitStatus(t, "n2 master", func(s *status.Status) bool { return s.Partitions[0].Master == "n2" })
	t.Logf("romad failed over %v after the kill", time.Since(killed).Round(time.Millisecond))
	time.Sleep(500 * time.Millisecond)
	cancel()
	all := gather()
	t.Logf("%d writes, %d failed: %v", len(all.acked), len(all.failed), all.failed)
	// Only writes that may have run fail: those in flight when the
	// master died (on a machine this loaded, also one sent on a pooled
	// connection before the client saw it close). None that could wait
	// for the failover, as one that found the master gone did not.
	for _, err := range all.failed {
		if !errors.Is(err, client.ErrConnLost) {
			t.Errorf("a write failed across the failover, though it never ran: %v", err)
		}
	}
	if len(all.failed) > 4*writers {
		t.Errorf("%d writes failed across the failover, with %d in flight: %v", len(all.failed), writers, all.failed)
	}
}
