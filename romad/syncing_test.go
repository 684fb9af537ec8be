package romad

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/status"
)

// TestReplicaSyncingPublished: a replica that answers but whose link to
// its master is down (here it cannot log in to its master; a full sync
// under way looks the same) serves what may be old or empty data. romad
// published it "up", and clients with ReplicaReads read from it. It must
// be published "syncing" (the cluster DEGRADED) until it is in sync
// again, then "up" (OK).
func TestReplicaSyncingPublished(t *testing.T) {
	const pw = "syncing-test-password"
	ctx := context.Background()
	p := newPair(t, "sy", pw, "1s")
	runRomad(t, p.spec)
	p.waitStatus(t, "OK, n2 up", func(s *status.Status) bool {
		return s.State == status.OK && s.Partitions[0].Master == "n1" && s.Nodes["n2"].State == status.NodeUp
	})
	c1 := redis.NewClient(&redis.Options{Addr: p.n1.Addr, Password: pw})
	defer c1.Close()
	c2 := redis.NewClient(&redis.Options{Addr: p.n2.Addr, Password: pw})
	defer c2.Close()
	if err := c2.ConfigSet(ctx, "masterauth", "not-the-password").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c1.Do(ctx, "CLIENT", "KILL", "TYPE", "replica").Err(); err != nil {
		t.Fatal(err)
	}
	st := p.waitStatus(t, "n2 syncing", func(s *status.Status) bool { return s.Nodes["n2"].State == status.NodeSyncing })
	if st.State != status.Degraded || st.Partitions[0].Master != "n1" {
		t.Errorf("with n2 syncing: state %s, master %q; want DEGRADED under n1", st.State, st.Partitions[0].Master)
	}
	if err := c2.ConfigSet(ctx, "masterauth", pw).Err(); err != nil {
		t.Fatal(err)
	}
	p.waitStatus(t, "OK, n2 up again", func(s *status.Status) bool {
		return s.State == status.OK && s.Partitions[0].Master == "n1" && s.Nodes["n2"].State == status.NodeUp
	})
}
