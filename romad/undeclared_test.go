package romad

import (
	"context"
	"testing"
	"time"

	"github.com/roma-redis/roma/status"
)

// TestStatusNamesUndeclaredMaster: the published status names, as a
// partition's master, a node roma.hcl no longer declares (apply handed
// its partition over and removes it; romad restarts with the new
// roma.hcl). The new alpha takes the master as the nodes report it, and
// publishes it, instead of failing on the unknown node (it panicked).
func TestStatusNamesUndeclaredMaster(t *testing.T) {
	ctx := context.Background()
	p := newPair(t, "ud", "undeclared-test-password", "1s")
	n1, n2, sc := p.n1, p.n2, p.status
	old := &status.Status{Version: status.SchemaVersion, Cluster: "ud", Epoch: 1, Alpha: "h", Hash: "jump", State: status.OK,
		Partitions: []status.Partition{{Master: "gone", Replicas: []string{"n1", "n2"}}},
		Nodes: map[string]status.NodeState{
			"gone": {Addr: "127.0.0.1:1", Partition: 0, Role: "master", State: status.NodeUp},
			"n1":   {Addr: n1.Addr, Partition: 0, Role: "replica", State: status.NodeUp},
			"n2":   {Addr: n2.Addr, Partition: 0, Role: "replica", State: status.NodeUp},
		}}
	if err := status.Write(ctx, sc, old); err != nil {
		t.Fatal(err)
	}
	// Epoch 1 was granted to this romad (h), which restarts: its first
	// claim, epoch 1, renews it, and it must still publish its change of
	// master at a higher epoch, the only change clients follow.
	if err := sc.MSet(ctx, status.EpochKey("ud"), 1, status.EpochOwnerKey("ud"), "h").Err(); err != nil {
		t.Fatal(err)
	}

	runRomad(t, p.spec)
	var got *status.Status
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got, _ = status.Read(ctx, sc, "ud")
		if got != nil && got.Epoch > 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no status above epoch 1 within 15s: %+v", got)
		}
	}
	if m := got.Partitions[0].Master; m != "n1" {
		t.Errorf("the new alpha publishes master %q, want n1, the master the nodes report", m)
	}
	if got.State != status.OK {
		t.Errorf("state %s, want OK", got.State)
	}
	if _, ok := got.Nodes["gone"]; ok {
		t.Errorf("the status still lists node gone, which roma.hcl does not declare")
	}
}
