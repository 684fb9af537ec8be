package status_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/roma-redis/roma/status"
)

// TestStoppedRecords: roma stop's records on three real status nodes, one
// of them down: written on those that answer, merged as the newest of
// each node's, removed; what is not a record is left out.
func TestStoppedRecords(t *testing.T) {
	const pw = "stopped-records-test-password"
	ctx := context.Background()
	servers, clients := statusNodes(t, pw, 2*time.Second)
	older := status.Stopped{Command: "roma stop", Holder: "ops@a pid 1", Since: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)}
	newer := status.Stopped{Command: "roma stop --host db2", Holder: "ops@b pid 2", Since: older.Since.Add(time.Hour)}
	if n, err := status.WriteStopped(ctx, clients, "c", older, []string{"n1", "n2"}); n != 3 || err != nil {
		t.Fatalf("WriteStopped on 3 status nodes: %d, %v", n, err)
	}
	servers[2].Kill(t)
	if n, err := status.WriteStopped(ctx, clients, "c", newer, []string{"n2", "s1"}); n != 2 || err == nil {
		t.Fatalf("WriteStopped with a status node down: %d, %v; want 2 and its error", n, err)
	}
	// Not a record: left out.
	for _, c := range clients {
		_ = c.HSet(ctx, status.StoppedKey("c"), "junk", "{not json").Err()
	}
	read := func() map[string]status.Stopped {
		out := map[string]status.Stopped{}
		for _, c := range clients {
			if v, err := c.HGetAll(ctx, status.StoppedKey("c")).Result(); err == nil {
				status.MergeStopped(out, v)
			}
		}
		return out
	}
	want := map[string]status.Stopped{"n1": older, "n2": newer, "s1": newer}
	if d := cmp.Diff(want, read()); d != "" {
		t.Errorf("records read and merged (-want +got):\n%s", d)
	}
	if n, err := status.ClearStopped(ctx, clients, "c", []string{"n2", "s1"}); n != 2 || err == nil {
		t.Errorf("ClearStopped with a status node down: %d, %v; want 2 and its error", n, err)
	}
	if d := cmp.Diff(map[string]status.Stopped{"n1": older}, read()); d != "" {
		t.Errorf("records after ClearStopped (-want +got):\n%s", d)
	}
	if got, want := newer.String(), "by roma stop --host db2 at 2026-11-29 11:00:00Z (ops@b pid 2)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
