package romad

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/client"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/status"
)

// TestClientDeposedMaster: the master n1 pauses (SIGSTOP, as a stalled VM
// or disk would) for longer than down_after, under 4 writers, and romad
// (a real one, down_after 2s) fails it over to n2. Each writer's command
// sent to n1 before the failover waits in n1's socket; once n1 runs again
// it takes them and replies OK, though romad has made n2 master, and
// then makes n1 n2's replica: those writes are gone. Found by a chaos run
// on a scratch cluster, where 6 acknowledged writes (one per writer) went
// so. The client must report such a write failed (ErrDeposed), not done:
// every write it acknowledged must be on the master at the end, also
// those of a writer whose writes are pipelines, and of one whose writes
// are transactions in a WATCH. Real
// redis-servers; the client's ReadTimeout (10s) outlasts the pause.
func TestClientDeposedMaster(t *testing.T) {
	p := newPair(t, "dp", "deposed-test-password", "2s")
	c := p.romadClient(t, client.Options{ReadTimeout: 10 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	const writers = 4
	gather := startWriters(ctx, writers, func(w, i int) (string, error) {
		k := fmt.Sprintf("w%d:%d", w, i)
		switch w {
		case writers - 2: // one writer's writes are pipelines
			_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, k, i, 0)
				return nil
			})
			return k, err
		case writers - 1:
		default:
			return k, c.Set(ctx, k, i, 0).Err()
		}
		// One writer's writes are transactions in a WATCH.
		return k, c.Watch(ctx, func(tx *redis.Tx) error {
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, k, i, 0)
				return nil
			})
			return err
		}, k)
	})
	p.waitStatus(t, "n2 holding the writers' keys", func(s *status.Status) bool { return s.Nodes["n2"].Keys >= writers })
	time.Sleep(200 * time.Millisecond)
	resume := p.n1.Pause(t)
	p.waitStatus(t, "n2 master", func(s *status.Status) bool { return s.Partitions[0].Master == "n2" })
	time.Sleep(500 * time.Millisecond)
	resume()
	// romad makes n1, back as a second master, n2's replica.
	p.waitStatus(t, "n1 n2's replica", func(s *status.Status) bool {
		return s.Nodes["n1"].State == status.NodeUp && s.Nodes["n1"].Role == "replica"
	})
	time.Sleep(500 * time.Millisecond)
	cancel()
	all := gather()
	var deposed int
	for _, err := range all.failed {
		switch {
		case errors.Is(err, client.ErrDeposed):
			deposed++
		case errors.Is(err, client.ErrConnLost) || errors.Is(err, client.ErrNoReply):
		default:
			t.Errorf("a write failed in a way the failover does not explain: %v", err)
		}
	}
	t.Logf("%d writes acknowledged, %d failed (%d ErrDeposed): %v", len(all.acked), len(all.failed), deposed, all.failed)
	n2 := redisconn.New(p.n2.Addr, "deposed-test-password", 5*time.Second, 1)
	defer n2.Close()
	var lost []string
	for _, k := range all.acked {
		if n, err := n2.Exists(context.Background(), k).Result(); err != nil || n != 1 {
			lost = append(lost, k)
		}
	}
	if len(lost) > 0 {
		t.Errorf("%d acknowledged writes are not on the master n2: %v", len(lost), lost)
	}
	if deposed == 0 {
		t.Errorf("no write failed with ErrDeposed: the pause caught none in flight, and the test shows nothing")
	}
}
