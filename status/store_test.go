package status_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/redisconn/redistest"
	"github.com/roma-redis/roma/status"
)

// TestReadQuorum: with one of three status nodes hung (a real
// redis-server, stopped), ReadQuorum returns the newest status from the
// majority without waiting for the hung node, and names it; ReadMajority
// waits for it until its context ends.
func TestReadQuorum(t *testing.T) {
	const pw = "status-test-password"
	ctx := context.Background()
	servers, clients := statusNodes(t, pw, 10*time.Second)
	st := &status.Status{Version: status.SchemaVersion, Cluster: "qt", State: status.OK, Epoch: 7, Alpha: "db1",
		Updated: time.Now().UTC().Truncate(time.Millisecond)}
	for addr, c := range clients {
		if err := status.Write(ctx, c, st); err != nil {
			t.Fatalf("writing the status to %s: %v", addr, err)
		}
	}
	hung := servers[2].Addr
	servers[2].Pause(t)

	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	r := status.ReadQuorum(rctx, clients, "qt")
	expired := rctx.Err()
	cancel()
	if expired != nil {
		t.Fatalf("ReadQuorum waited for the hung status node until its context ended")
	}
	if !r.Majority || r.Answered != 2 || r.Status == nil || r.Status.Epoch != 7 || r.Status.Alpha != "db1" {
		t.Fatalf("ReadQuorum: majority %v, answered %d, status %+v; want a majority of 2 and epoch 7 from db1", r.Majority, r.Answered, r.Status)
	}
	if e, ok := r.Errors[hung]; !ok || len(r.Errors) != 1 || e != "no answer yet: a majority had answered" {
		t.Errorf("ReadQuorum's errors %v: want the hung node %s alone, left as a majority had answered", r.Errors, hung)
	}

	// ReadMajority waits for the hung node until its context ends (the
	// read's deadline is the context's: compare times, not rctx.Err(),
	// which its timer may set a moment after the read gives up).
	start := time.Now()
	rctx, cancel = context.WithTimeout(ctx, 300*time.Millisecond)
	r = status.ReadMajority(rctx, clients, "qt")
	waited := time.Since(start)
	cancel()
	if waited < 250*time.Millisecond {
		t.Errorf("ReadMajority returned after %s, before its 300 ms context ended, with a status node hung", waited)
	}
	if !r.Majority || r.Answered != 2 || r.Errors[hung] == "" {
		t.Errorf("ReadMajority: majority %v, answered %d, errors %v", r.Majority, r.Answered, r.Errors)
	}

	// The two others down: no majority can answer, and the hung node's
	// error says so, not that a majority had answered.
	servers[0].Kill(t)
	servers[1].Kill(t)
	rctx, cancel = context.WithTimeout(ctx, 10*time.Second)
	r = status.ReadQuorum(rctx, clients, "qt")
	cancel()
	if r.Majority || r.Answered != 0 {
		t.Fatalf("ReadQuorum with two of three down: majority %v, answered %d", r.Majority, r.Answered)
	}
	if e := r.Errors[hung]; e != "no answer yet: the others had failed, so that no majority could answer" {
		t.Errorf("ReadQuorum with no majority left: the hung node's error %q", e)
	}
}

// TestWriteBackup: the record of a backup begun later stands, whichever
// is written last (a real redis-server).
func TestWriteBackup(t *testing.T) {
	const pw = "status-backup-test-password"
	ctx := context.Background()
	s := redistest.Start(t, pw)
	c := redisconn.New(s.Addr, pw, 10*time.Second, 2)
	defer c.Close()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	read := func() string {
		t.Helper()
		v, err := c.Get(ctx, status.BackupKey("wb")).Result()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for i, step := range []struct {
		rec    status.Backup
		stored bool
		want   string
	}{
		{status.Backup{ID: "a", Time: t0, OK: true}, true, "a"},
		{status.Backup{ID: "b", Time: t0.Add(time.Hour), OK: true}, true, "b"},
		{status.Backup{ID: "older", Time: t0.Add(30 * time.Minute), OK: true}, false, "b"},
		{status.Backup{ID: "same time", Time: t0.Add(time.Hour), Error: "disk full"}, true, "same time"},
	} {
		stored, err := status.WriteBackup(ctx, c, "wb", &step.rec)
		if err != nil || stored != step.stored {
			t.Errorf("step %d (%s): stored %v, %v; want %v", i, step.rec.ID, stored, err, step.stored)
		}
		if got := read(); !strings.Contains(got, `"id":"`+step.want+`"`) {
			t.Errorf("step %d: the record is %s; want backup %s", i, got, step.want)
		}
	}
}

// statusNodes starts three real redis-servers with password pw, and a
// client of each, by address, whose replies may take timeout.
func statusNodes(t *testing.T, pw string, timeout time.Duration) ([]*redistest.Server, map[string]*redis.Client) {
	t.Helper()
	clients := map[string]*redis.Client{}
	var servers []*redistest.Server
	for range 3 {
		s := redistest.Start(t, pw)
		servers = append(servers, s)
		c := redisconn.New(s.Addr, pw, timeout, 2)
		t.Cleanup(func() { c.Close() })
		clients[s.Addr] = c
	}
	return servers, clients
}
