package romad

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/hclspec"
	"github.com/roma-redis/roma/redisconn/redistest"
	"github.com/roma-redis/roma/status"
)

// TestStatusNamesUndeclaredMaster: the published status names, as a
// partition's master, a node roma.hcl no longer declares (apply handed
// its partition over and removes it; romad restarts with the new
// roma.hcl). The new alpha takes the master as the nodes report it, and
// publishes it, instead of failing on the unknown node (it panicked).
func TestStatusNamesUndeclaredMaster(t *testing.T) {
	const pw = "undeclared-test-password"
	ctx := context.Background()
	st, n1, n2 := redistest.Start(t, pw), redistest.Start(t, pw), redistest.Start(t, pw)
	// n2 replicates n1: n1 is the master the nodes report.
	c2 := redis.NewClient(&redis.Options{Addr: n2.Addr, Password: pw})
	defer c2.Close()
	if err := c2.Do(ctx, "CONFIG", "SET", "masterauth", pw).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c2.ReplicaOf(ctx, "127.0.0.1", fmt.Sprint(n1.Port)).Err(); err != nil {
		t.Fatal(err)
	}
	src := fmt.Sprintf(`
cluster "ud" {
  partitions = 1
  hash       = "jump"
  password   = %q
}
host "h" {
  address   = "127.0.0.1"
  transport = "local"
  root      = %q
  service   = "process"
}
node "n1" {
  host      = "h"
  port      = %d
  partition = 0
}
node "n2" {
  host      = "h"
  port      = %d
  partition = 0
}
status "s1" {
  host = "h"
  port = %d
}
romad {
  hosts      = ["h"]
  down_after = "1s"
}
`, pw, t.TempDir(), n1.Port, n2.Port, st.Port)
	cfg, diags := hclspec.LoadSource([]byte(src), "roma.hcl", t.TempDir(), hclspec.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	sc := redis.NewClient(&redis.Options{Addr: st.Addr, Password: pw})
	defer sc.Close()
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

	d, err := New(Config{Spec: cfg.Spec, Self: "h", Listen: "-", Lease: time.Second,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(rctx) }()
	defer func() {
		cancel()
		<-done
	}()
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
