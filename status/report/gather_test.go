package report

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/redisconn/redistest"
	"github.com/roma-redis/roma/status"
)

const testPassword = "gather-Test-pw"

// startRedis starts a redis-server for the test and returns its port.
func startRedis(t *testing.T) int {
	t.Helper()
	return redistest.Start(t, testPassword, "--repl-diskless-sync-delay", "0").Port
}

func client(port int) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), Password: testPassword, Protocol: 2, DisableIdentity: true})
}

// TestGather runs Gather against real redis-servers: a master, its
// replica and a status node; then with the replica shut down.
func TestGather(t *testing.T) {
	if err := lab.EnsurePackages(); err != nil {
		if os.Geteuid() == 0 || os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	ctx := context.Background()
	rs := redistest.Start(t, testPassword, "--repl-diskless-sync-delay", "0")
	m, r, st := startRedis(t), rs.Port, startRedis(t)
	spec := &cluster.Spec{
		Name: "gather", Partitions: 1, Password: cluster.NewSecret(testPassword),
		Hosts:  []cluster.Host{{Name: "h", Address: "127.0.0.1"}},
		Nodes:  []cluster.Node{{Name: "a", Host: "h", Port: m, Partition: 0}, {Name: "b", Host: "h", Port: r, Partition: 0}},
		Status: []cluster.StatusNode{{Name: "st", Host: "h", Port: st}},
	}
	mc, rc, sc := client(m), client(r), client(st)
	defer mc.Close()
	defer rc.Close()
	defer sc.Close()
	if err := rc.ReplicaOf(ctx, "127.0.0.1", strconv.Itoa(m)).Err(); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		mc.Set(ctx, fmt.Sprint("k", i), "v", 0)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		info := rc.Info(ctx, "replication", "keyspace").Val()
		if strings.Contains(info, "master_link_status:up") && strings.Contains(info, "db0:keys=5") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the replica did not sync")
		}
	}
	s := &status.Status{Version: 1, Cluster: "gather", State: status.OK, Epoch: 2, Alpha: "h", Updated: time.Now(),
		Partitions: []status.Partition{{Master: "a", Replicas: []string{"b"}}},
		Nodes: map[string]status.NodeState{
			"a": {Addr: fmt.Sprintf("127.0.0.1:%d", m), Partition: 0, Role: "master", State: status.NodeUp},
			"b": {Addr: fmt.Sprintf("127.0.0.1:%d", r), Partition: 0, Role: "replica", State: status.NodeUp},
		}}
	if err := status.Write(ctx, sc, s); err != nil {
		t.Fatal(err)
	}

	rep := Gather(ctx, spec, Options{Timeout: time.Second})
	if rep.State != status.OK || rep.Source != SourceStatus || len(rep.Problems) > 0 {
		t.Fatalf("state %s from %s, problems %q; want OK from the status", rep.State, rep.Source, rep.Problems)
	}
	a, _ := rep.Node("a")
	b, _ := rep.Node("b")
	if a.Role != "master" || a.Keys != 5 || a.Memory == 0 || a.Since.IsZero() {
		t.Errorf("master: %+v", a)
	}
	if b.Role != "replica" || b.Master != "a" || b.Link != "up" || b.Lag == nil || b.Keys != 5 {
		t.Errorf("replica: %+v", b)
	}
	if rep.Published == nil || rep.Published.Epoch != 2 || !rep.Agreement.Majority {
		t.Errorf("published %+v, agreement %+v", rep.Published, rep.Agreement)
	}

	// Master a removed from roma.hcl, not yet applied: it is probed at
	// its published address, and the partition still has its master.
	removed := *spec
	removed.Nodes = spec.Nodes[1:]
	rep = Gather(ctx, &removed, Options{Timeout: time.Second})
	a, _ = rep.Node("a")
	if rep.State != status.OK || !a.Undeclared || a.Role != "master" || a.Keys != 5 {
		t.Errorf("a removed from roma.hcl: state %s, problems %q, node a %+v; want OK, a probed as master", rep.State, rep.Problems, a)
	}

	// b paused (a stalled disk does the same): it takes connections and
	// says nothing. Said so, not a bare "i/o timeout" or "context
	// deadline exceeded".
	resume := rs.Pause(t)
	rep = Gather(ctx, spec, Options{Timeout: time.Second})
	want := "node b of partition 0 is down: it takes connections but answered nothing within 750ms (its process paused, or stuck on a disk?)"
	if rep.State != status.Degraded || len(rep.Problems) != 1 || rep.Problems[0] != want {
		t.Errorf("b paused: state %s, problems %q; want DEGRADED, %q", rep.State, rep.Problems, want)
	}
	resume()

	_ = rc.Shutdown(ctx).Err()
	rep = Gather(ctx, spec, Options{Timeout: time.Second})
	if rep.State != status.Degraded || len(rep.Problems) != 1 || !strings.HasPrefix(rep.Problems[0], "node b of partition 0 is down: ") || strings.Contains(rep.Problems[0], "takes connections") {
		t.Fatalf("state %s, problems %q; want DEGRADED, b down", rep.State, rep.Problems)
	}
	for _, p := range rep.Problems {
		if strings.Contains(p, testPassword) {
			t.Errorf("a problem shows the password: %s", p)
		}
	}
}

// quiet keeps go-redis from logging the refused dials the test causes.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func init() { redis.SetLogger(quiet{}) }

// TestProbeOutOfReach: a node whose address does not take connections
// (the dial times out: a host down, or a firewall that drops) is down
// with the dial's error, not taken for a paused process (TestGather).
func TestProbeOutOfReach(t *testing.T) {
	p := probeNode(context.Background(), redistest.Unreachable(t), cluster.NewSecret(testPassword), time.Second)
	if p.Err == "" || strings.Contains(p.Err, "takes connections") {
		t.Errorf("probe of an address out of reach: %q, want the dial's timeout (or the probe's)", p.Err)
	}
}
