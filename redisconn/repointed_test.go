package redisconn_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/redisconn/redistest"
)

// TestWaitSyncedRepointed: a replica waits for its full sync from m1
// (held back by m1's repl-diskless-sync-delay) when romad, having failed
// m1 over, repoints it to m2, or promotes it. The wait must end within a
// moment (repointGrace), saying what the replica does now; a repoint
// undone within that moment changes nothing. Before, it waited on: the replica's
// offset, rising as it followed m2 (written to here, as under load, and
// pinged every 10s by any master), passed for progress of the sync from
// m1, so the wait never stalled, and roma start hung for as long as the
// cluster took writes. Real redis-servers.
func TestWaitSyncedRepointed(t *testing.T) {
	const pw = "repointed-test-password"
	ctx := context.Background()
	m1 := redistest.Start(t, pw, "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "30")
	m2 := redistest.Start(t, pw, "--repl-diskless-sync-delay", "0")
	r := redistest.Start(t, pw)
	mc1 := redisconn.New(m1.Addr, pw, 5*time.Second, 1)
	defer mc1.Close()
	mc2 := redisconn.New(m2.Addr, pw, 5*time.Second, 1)
	defer mc2.Close()
	rc := redisconn.New(r.Addr, pw, 5*time.Second, 1)
	defer rc.Close()
	wctx, stopWrites := context.WithCancel(ctx)
	defer stopWrites()
	go func() {
		for i := 0; wctx.Err() == nil; i++ {
			mc2.Set(wctx, "k", i, 0)
			time.Sleep(10 * time.Millisecond)
		}
	}()

	for _, tc := range []struct {
		name   string
		moveTo []any // REPLICAOF's arguments, sent to the replica as the wait runs
		want   redisconn.NotFollowingError
	}{
		{"repointed", []any{"REPLICAOF", "127.0.0.1", strconv.Itoa(m2.Port)}, redisconn.NotFollowingError{Want: m1.Addr, Follows: m2.Addr}},
		{"promoted", []any{"REPLICAOF", "NO", "ONE"}, redisconn.NotFollowingError{Want: m1.Addr}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := rc.ReplicaOf(ctx, "127.0.0.1", strconv.Itoa(m1.Port)).Err(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				wait, cancel := context.WithTimeout(ctx, 20*time.Second)
				defer cancel()
				done <- redisconn.WaitSynced(wait, rc, mc1, m1.Addr, time.Minute)
			}()
			time.Sleep(500 * time.Millisecond)
			if err := rc.Do(ctx, tc.moveTo...).Err(); err != nil {
				t.Fatal(err)
			}
			moved := time.Now()
			err := <-done
			var nf *redisconn.NotFollowingError
			if !errors.As(err, &nf) {
				t.Fatalf("WaitSynced: %v after the move (%s); want a NotFollowingError", err, time.Since(moved).Round(time.Millisecond))
			}
			if d := cmp.Diff(tc.want, *nf); d != "" {
				t.Errorf("NotFollowingError (-want +got):\n%s", d)
			}
			t.Logf("%v, %s after the move", err, time.Since(moved).Round(time.Millisecond))
		})
	}

	// Repointed for a moment (a romad yet to follow a switchover), then
	// back: the wait goes on.
	t.Run("back within the grace", func(t *testing.T) {
		if err := rc.ReplicaOf(ctx, "127.0.0.1", strconv.Itoa(m1.Port)).Err(); err != nil {
			t.Fatal(err)
		}
		wait, cancel := context.WithTimeout(ctx, 4*time.Second)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- redisconn.WaitSynced(wait, rc, mc1, m1.Addr, time.Minute) }()
		time.Sleep(500 * time.Millisecond)
		if err := rc.ReplicaOf(ctx, "127.0.0.1", strconv.Itoa(m2.Port)).Err(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		if err := rc.ReplicaOf(ctx, "127.0.0.1", strconv.Itoa(m1.Port)).Err(); err != nil {
			t.Fatal(err)
		}
		var nf *redisconn.NotFollowingError
		if err := <-done; errors.As(err, &nf) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("WaitSynced: %v; want it still waiting for m1's sync when its context ends", err)
		}
	})
}
