package romad

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/hclspec"
	"github.com/roma-redis/roma/redisconn/redistest"
	"github.com/roma-redis/roma/status"
)

// pair is a one-partition cluster of real redis-servers on this machine:
// status node st, master n1 and n2 replicating it.
type pair struct {
	spec       *cluster.Spec
	st, n1, n2 *redistest.Server
	status     *redis.Client // of st
}

// newPair starts a pair with password pw, declared as cluster name with
// romad's down_after.
func newPair(t *testing.T, name, pw, downAfter string) *pair {
	t.Helper()
	ctx := context.Background()
	p := &pair{st: redistest.Start(t, pw), n1: redistest.Start(t, pw, "--repl-diskless-sync-delay", "0"), n2: redistest.Start(t, pw)}
	c2 := redis.NewClient(&redis.Options{Addr: p.n2.Addr, Password: pw})
	defer c2.Close()
	if err := c2.Do(ctx, "CONFIG", "SET", "masterauth", pw).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c2.ReplicaOf(ctx, "127.0.0.1", fmt.Sprint(p.n1.Port)).Err(); err != nil {
		t.Fatal(err)
	}
	// In sync: a replica that never was is no copy of n1, and romad
	// promotes none such.
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if info, err := c2.Info(ctx, "replication").Result(); err == nil && strings.Contains(info, "master_link_status:up") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("n2 does not get in sync with n1")
		}
	}
	src := fmt.Sprintf(`
cluster %q {
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
  down_after = %q
}
`, name, pw, t.TempDir(), p.n1.Port, p.n2.Port, p.st.Port, downAfter)
	cfg, diags := hclspec.LoadSource([]byte(src), "roma.hcl", t.TempDir(), hclspec.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p.spec = cfg.Spec
	p.status = redis.NewClient(&redis.Options{Addr: p.st.Addr, Password: pw})
	t.Cleanup(func() { p.status.Close() })
	return p
}

// runRomad runs a romad (New, Run) of spec on host h, with a 1s lease and
// no HTTP, until the test ends or stop is called.
func runRomad(t *testing.T, spec *cluster.Spec) (stop func()) {
	t.Helper()
	_, stop = startRomad(t, spec)
	return stop
}

// startRomad is runRomad, and returns the romad too.
func startRomad(t *testing.T, spec *cluster.Spec) (d *Daemon, stop func()) {
	t.Helper()
	d, err := New(Config{Spec: spec, Self: "h", Listen: "-", Lease: time.Second,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
	t.Cleanup(stop)
	return d, stop
}

// waitStatus waits, for at most 15s, until cond holds for the status on
// the pair's status node, and returns it.
func (p *pair) waitStatus(t *testing.T, what string, cond func(*status.Status) bool) *status.Status {
	t.Helper()
	var got *status.Status
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got, _ = status.Read(context.Background(), p.status, p.spec.Name)
		if got != nil && cond(got) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 15s (status %+v)", what, got)
		}
	}
}

// haltLosingN1 has the pair's replica n2 crash, then its master n1: with
// no replica to promote, romad publishes HALT with n1 as the master lost.
// It returns that status.
func (p *pair) haltLosingN1(t *testing.T) *status.Status {
	t.Helper()
	p.waitStatus(t, "n1 published as master", func(s *status.Status) bool { return s.State == status.OK && s.Partitions[0].Master == "n1" })
	p.n2.Kill(t)
	p.waitStatus(t, "n2 down", func(s *status.Status) bool { return s.Nodes["n2"].State == status.NodeDown })
	p.n1.Kill(t)
	return p.waitStatus(t, "HALT, n1 lost", func(s *status.Status) bool { return s.Partitions[0].Master == "" && s.Partitions[0].Lost == "n1" })
}
