package plan_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roma-redis/roma/plan"
	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/status"
)

// TestStoppedOnPurpose: a node roma stop stopped was planned as drift,
// "changes made outside roma", "stopped (connection refused)", with its
// partition. roma stop now leaves a record on the node's host
// (run/NAME.stopped, after the stop), and the plan says who stopped it,
// and when, as no drift; a node that ran since (its log newer than the
// record: a start by hand, then a crash) is drift again. A real
// redis-server, shut down, on a host reached without SSH.
func TestStoppedOnPurpose(t *testing.T) {
	const pw = "stopped-on-purpose-test-password"
	ctx := context.Background()
	s, root := startLocalLogging(t, pw)
	spec := localSpec(t, root, pw, s.Port, "")
	c := redisconn.New(s.Addr, pw, 5*time.Second, 1)
	_ = c.ShutdownNoSave(ctx).Err()
	c.Close()
	s.Kill(t)

	type seen struct {
		drift            []string // the addresses the plan takes for drift
		reason, verdict  string   // node.n0's first reason, and its verb
		partitionReasons string
	}
	look := func() seen {
		t.Helper()
		p := plan.Diff(spec, plan.Observer{Dial: plantest.Dial}.Observe(ctx, spec), plan.Options{})
		var got seen
		for _, r := range p.Drift() {
			got.drift = append(got.drift, r.Address)
		}
		for _, r := range p.Resources {
			switch r.Address {
			case "node.n0":
				got.reason, got.verdict = r.Reasons[0], string(r.Action)
			case "partition.0":
				got.partitionReasons = strings.Join(r.Reasons, "; ")
			}
		}
		return got
	}
	if got := look(); !strings.HasPrefix(got.reason, "stopped (") || len(got.drift) != 2 {
		t.Fatalf("shut down by hand: node.n0 %q, drift %v; want it stopped, node.n0 and partition.0 drift", got.reason, got.drift)
	}

	rec := status.Stopped{Command: "roma stop --host h", Holder: "ops@bastion pid 7", Since: time.Date(2026, 11, 29, 23, 44, 50, 0, time.UTC)}
	b, _ := json.Marshal(rec)
	marker := filepath.Join(root, "run", "n0.stopped")
	if err := os.MkdirAll(filepath.Dir(marker), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(marker, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	// The record is written after the stop: its log is older.
	log := filepath.Join(root, "log", "n0.log")
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(log, old, old); err != nil {
		t.Fatal(err)
	}
	want := "stopped by roma stop --host h at 2026-11-29 23:44:50Z (ops@bastion pid 7): start it (roma start, or apply)"
	if got := look(); got.reason != want || len(got.drift) != 0 || got.verdict != string(plan.Repair) || !strings.Contains(got.partitionReasons, "start them") {
		t.Errorf("stopped by roma stop: node.n0 %q (%s), drift %v, partition.0 %q; want node.n0 %q, no drift", got.reason, got.verdict, got.drift, got.partitionReasons, want)
	}

	// Its conf file edited by hand meanwhile: that is drift still.
	conf := filepath.Join(root, "conf", "n0.conf")
	orig, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, append(append([]byte(nil), orig...), "maxmemory-policy allkeys-lru\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := look(); got.reason != want || len(got.drift) != 1 || got.drift[0] != "node.n0" {
		t.Errorf("stopped by roma stop, its conf file edited by hand: node.n0 %q, drift %v; want node.n0 %q, and drift", got.reason, got.drift, want)
	}
	if err := os.WriteFile(conf, orig, 0o600); err != nil {
		t.Fatal(err)
	}

	// Started since (by hand), its log written, then stopped again not by
	// roma stop: the record no longer holds.
	now := time.Now().Add(time.Second)
	if err := os.Chtimes(log, now, now); err != nil {
		t.Fatal(err)
	}
	if got := look(); !strings.HasPrefix(got.reason, "stopped (") || len(got.drift) != 2 {
		t.Errorf("run since the record: node.n0 %q, drift %v; want it stopped, node.n0 and partition.0 drift", got.reason, got.drift)
	}
}
