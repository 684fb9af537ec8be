package redisconn_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roma-redis/roma/redisconn"
)

// TestShutdownWhileWritingInitialAOF: a real redis-server with 1.5
// million keys, appendonly just turned on, refuses SHUTDOWN while it
// writes its first append-only file ("Writing initial AOF, can't exit");
// Shutdown asks again until it goes. roma restore waited a minute on such
// a replica (just synced), then killed it.
func TestShutdownWhileWritingInitialAOF(t *testing.T) {
	ctx := context.Background()
	s, c := populated(t)
	if err := c.ConfigSet(ctx, "appendonly", "yes").Err(); err != nil {
		t.Fatal(err)
	}
	err := c.Do(ctx, "SHUTDOWN", "NOSAVE").Err()
	if err == nil || !strings.Contains(err.Error(), "Errors trying to SHUTDOWN") {
		t.Fatalf("SHUTDOWN NOSAVE while writing the initial AOF: %v, want it refused (the rewrite ended first? make the dataset larger)", err)
	}
	// A wait that ends first says so.
	err = redisconn.Shutdown(ctx, c, 100*time.Millisecond, "NOSAVE")
	if err == nil || !strings.Contains(err.Error(), "still refusing after 100ms") {
		t.Errorf("Shutdown with a 100ms wait: %v, want it refused, still refusing after 100ms", err)
	}
	start := time.Now()
	if err := redisconn.Shutdown(ctx, c, 30*time.Second, "NOSAVE"); err != nil {
		t.Fatalf("Shutdown NOSAVE: %v", err)
	}
	t.Logf("Shutdown asked for %s", time.Since(start).Round(time.Millisecond))
	for deadline := time.Now().Add(10 * time.Second); runs(s.Pid); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("redis-server (pid %d) still runs 10s after Shutdown returned", s.Pid)
		}
	}
	// A node that is gone already: nothing to do.
	if err := redisconn.Shutdown(ctx, c, time.Second, "NOSAVE"); err != nil {
		t.Errorf("Shutdown of a node that is gone: %v", err)
	}
}

// runs reports whether pid is a live process: not gone, and not a zombie
// (redistest's cleanup reaps it).
func runs(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i >= 0 && i+2 < len(b) && b[i+2] != 'Z'
}
