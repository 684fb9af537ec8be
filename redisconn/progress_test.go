package redisconn_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/redisconn/redistest"
	"github.com/roma-redis/roma/redisinfo"
)

// TestWaitProgress runs WaitProgress on scripted readings: one per
// interval of 10ms, with a stall of 100ms (10 readings).
func TestWaitProgress(t *testing.T) {
	type reading struct {
		counters []int64
		done     bool
		err      error
	}
	rising := func(n int) []reading { // n readings, each above the last
		var rs []reading
		for i := range n {
			rs = append(rs, reading{counters: []int64{int64(i)}})
		}
		return rs
	}
	refused := errors.New("ERR refused")
	tests := []struct {
		name     string
		readings []reading // the last one repeats
		wantErr  string    // "" for success
		maxCalls int       // a wait that gives up must do so within this many readings (0: no limit)
	}{
		{name: "done at once", readings: []reading{{done: true}}},
		{name: "done with an error ends the wait with it", readings: []reading{{counters: []int64{1}}, {done: true, err: refused}}, wantErr: "ERR refused"},
		{
			// 40 readings (400ms, four stalls) of rising counters, then done.
			name: "work longer than the stall that moves on", readings: append(rising(40), reading{done: true}),
		},
		{
			name: "a counter that stops rising", readings: append(rising(5), reading{counters: []int64{4}, err: errors.New("offset 4 of 9")}),
			wantErr: "offset 4 of 9 (no progress for 100ms)",
		},
		{
			// A sync that starts over: its counter falls back and climbs
			// to where it was; only a new high is progress.
			name: "work that starts over and over",
			readings: func() []reading {
				var rs []reading
				for range 20 {
					rs = append(rs, rising(5)...)
				}
				return rs
			}(),
			wantErr: "not done (no progress for 100ms)", maxCalls: 30,
		},
		{
			// The first counter is stuck, the second one moves: progress.
			name: "any counter that rises is progress",
			readings: func() []reading {
				var rs []reading
				for i := range 30 {
					rs = append(rs, reading{counters: []int64{7, int64(i)}})
				}
				return append(rs, reading{done: true})
			}(),
		},
		{
			name: "no answer at all", readings: []reading{{err: errors.New("connection refused")}},
			wantErr: "connection refused (no progress for 100ms)",
		},
		{
			// A node that stops answering, then answers with the same
			// reading, has made no progress.
			name:     "errors between equal readings",
			readings: []reading{{counters: []int64{3}}, {err: errors.New("i/o timeout")}, {counters: []int64{3}, err: errors.New("loading")}},
			wantErr:  "loading (no progress for 100ms)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			start := time.Now()
			err := redisconn.WaitProgress(context.Background(), 100*time.Millisecond, 10*time.Millisecond, func(context.Context) (bool, []int64, error) {
				r := tt.readings[min(calls, len(tt.readings)-1)]
				calls++
				return r.done, r.counters, r.err
			})
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Fatalf("WaitProgress: %v, want %q", err, tt.wantErr)
			}
			switch {
			case tt.wantErr == "" && calls != len(tt.readings):
				t.Errorf("WaitProgress read %d times, want %d: it must read until done", calls, len(tt.readings))
			case strings.Contains(tt.wantErr, "no progress") && time.Since(start) < 100*time.Millisecond:
				t.Errorf("WaitProgress gave up after %s, before the stall of 100ms", time.Since(start))
			case tt.maxCalls > 0 && calls > tt.maxCalls:
				t.Errorf("WaitProgress read %d times, want at most %d: it must give up on work that does not get past its earlier readings", calls, tt.maxCalls)
			}
		})
	}

	t.Run("context ends", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		calls := 0
		err := redisconn.WaitProgress(ctx, time.Minute, time.Millisecond, func(context.Context) (bool, []int64, error) {
			if calls++; calls == 3 {
				cancel()
			}
			return false, []int64{int64(calls)}, errors.New("loading")
		})
		if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "loading") {
			t.Errorf("WaitProgress with its context cancelled: %v, want loading and context canceled", err)
		}
	})
}

// TestWaitOutlastsTheStall: with real redis-servers, a replica's full sync
// of 1.5 million keys, then the same replica's load of them at its start,
// each made slow (key-load-delay) to take several times the stall. The
// waits see the load move on and wait it out; a fixed deadline of the
// stall failed both. Paused mid-load (SIGSTOP), the node is given up on
// once the stall has passed.
func TestWaitOutlastsTheStall(t *testing.T) {
	ctx := context.Background()
	const stall = time.Second
	m, mc := populated(t)
	// -50: Redis sleeps on one key in 50 while loading, some seconds for the
	// whole dataset.
	r := redistest.Start(t, bigPassword, "--key-load-delay", "-50")
	rc := redisconn.New(r.Addr, bigPassword, 5*time.Second, 1)
	defer rc.Close()

	// A diskless sync waits repl-diskless-sync-delay (5s) for more
	// replicas before it starts, with nothing to show: a stall must be
	// longer than that; this one is not.
	if err := mc.ConfigSet(ctx, "repl-diskless-sync-delay", "0").Err(); err != nil {
		t.Fatal(err)
	}
	if err := redisconn.ReplicaOf(ctx, rc, "127.0.0.1", strconv.Itoa(m.Port), stall); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := redisconn.WaitSynced(ctx, rc, mc, m.Addr, stall)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("waiting for the sync: %v (after %s)", err, took)
	}
	if took < 2*stall {
		t.Fatalf("the sync took %s, not longer than twice the stall of %s: the test shows nothing (make the load slower)", took, stall)
	}
	t.Logf("the sync took %s, with a stall of %s", took, stall)
	if n, err := rc.DBSize(ctx).Result(); err != nil || n != 1_500_000 {
		t.Fatalf("the replica holds %d keys (%v), want 1500000", n, err)
	}

	// Its dataset, as the sync left it in its directory, loaded at start.
	r.Kill(t)
	r.Relaunch(t)
	start = time.Now()
	if err := redisconn.WaitLoaded(ctx, rc, stall); err != nil {
		t.Fatalf("WaitLoaded after a restart: %v (after %s)", err, time.Since(start))
	}
	took = time.Since(start)
	if took < 2*stall {
		t.Fatalf("the load at start took %s, not longer than twice the stall of %s: the test shows nothing", took, stall)
	}
	t.Logf("the load at start took %s", took)
	if n, err := rc.DBSize(ctx).Result(); err != nil || n != 1_500_000 {
		t.Fatalf("after its restart the node holds %d keys (%v), want 1500000", n, err)
	}

	// Paused while loading: no reading moves on, and the wait gives up.
	r.Kill(t)
	r.Relaunch(t)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		reply, err := rc.Info(ctx, "persistence").Result()
		if loading, _ := redisconn.Loading(redisinfo.Parse(reply)); err == nil && loading {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the node did not start loading within 10s: %v", err)
		}
	}
	r.Pause(t)
	quick := redisconn.New(r.Addr, bigPassword, 200*time.Millisecond, 1)
	defer quick.Close()
	err = redisconn.WaitLoaded(ctx, quick, stall)
	if err == nil || !strings.Contains(err.Error(), "(no progress for 1s)") {
		t.Fatalf("WaitLoaded on a paused node: %v, want no progress for 1s", err)
	}
}

// TestEnableAOFOutlastsTheStall: turning AOF on has Redis write the file
// from 1.5 million keys, made slow (rdb-key-save-delay) to take several
// times the stall: EnableAOF sees the keys written move on and waits.
func TestEnableAOFOutlastsTheStall(t *testing.T) {
	ctx := context.Background()
	const stall = 2 * time.Second
	_, c := populated(t)
	// -20: Redis sleeps on one key in 20 while it writes them.
	if err := c.ConfigSet(ctx, "rdb-key-save-delay", "-20").Err(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := redisconn.EnableAOF(ctx, c, stall); err != nil {
		t.Fatalf("EnableAOF: %v (after %s)", err, time.Since(start))
	}
	took := time.Since(start)
	if took < 2*stall {
		t.Fatalf("the append-only file took %s, not longer than twice the stall of %s: the test shows nothing (make the save slower)", took, stall)
	}
	t.Logf("the append-only file took %s, with a stall of %s", took, stall)
	info, err := c.Info(ctx, "persistence").Result()
	if err != nil || !strings.Contains(info, "aof_enabled:1") || !strings.Contains(info, "aof_last_bgrewrite_status:ok") {
		t.Fatalf("after EnableAOF: %v %s", err, info)
	}
}
