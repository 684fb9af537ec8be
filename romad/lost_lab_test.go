package romad_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/roma-redis/roma/apply"
	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/status"
)

// testLostMasterLeads: a partition's replica crashes, its master takes
// writes the replica misses, then crashes too: HALT, with the master
// published as lost. The replica comes back on its own, a master on older
// data: romad must not make it master, which would lose those writes.
// roma start brings the lost master back as master, the replica follows
// it, and every write is there.
func testLostMasterLeads(t *testing.T, c *clusterT) {
	ctx := context.Background()
	spec := c.spec
	before := c.waitStatus("OK", 20*time.Second, func(s *status.Status) bool { return s.State == status.OK })
	const p = 1
	m := before.Master(p)
	if m == "" {
		t.Fatalf("partition %d has no master: %+v", p, before)
	}
	r := replicaOf(t, spec, p, m)
	kill := func(name string) {
		t.Helper()
		if err := syscall.Kill(nodePid(t, spec, name), syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		c.waitStatus(name+" down", 15*time.Second, func(s *status.Status) bool { return s.Nodes[name].State == status.NodeDown })
	}
	kill(r)
	mc := plantest.NodeClient(spec, m)
	var keys []string
	for i := range 100 {
		k := fmt.Sprintf("lost-master:%d", i)
		if err := mc.Set(ctx, k, k, 0).Err(); err != nil {
			t.Fatalf("SET on %s: %v", m, err)
		}
		keys = append(keys, k)
	}
	err := mc.Save(ctx).Err() // what a crash keeps, without appendonly
	mc.Close()
	if err != nil {
		t.Fatalf("SAVE on %s: %v", m, err)
	}
	kill(m)
	c.waitStatus("HALT, "+m+" lost", 15*time.Second, func(s *status.Status) bool {
		return s.State == status.Halt && s.Master(p) == "" && s.Partitions[p].Lost == m
	})

	// The replica comes back on its own, as a crash's restart would
	// bring it: a plain redis-server, a master on older data.
	plantest.StartByHand(t, spec, r)
	c.waitStatus(r+" up", 15*time.Second, func(s *status.Status) bool { return s.Nodes[r].State == status.NodeUp })
	for end := time.Now().Add(2 * spec.Romad.DownAfter); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if s := c.read().Status; s != nil && s.Master(p) != "" {
			t.Fatalf("romad made %s master of partition %d, on data older than %s's, the master it lost", s.Master(p), p, m)
		}
	}

	// roma start: the lost master comes back as master, the other follows.
	if _, err := apply.Start(ctx, spec, apply.Scope{}, apply.Options{Dial: plantest.Dial}); err != nil {
		t.Fatalf("roma start: %v", err)
	}
	c.waitStatus("OK under "+m, 20*time.Second, func(s *status.Status) bool { return s.State == status.OK && s.Master(p) == m })
	waitFollows(t, spec, r, m)
	for _, name := range []string{m, r} {
		waitKeys(t, spec, name, keys)
	}
}
