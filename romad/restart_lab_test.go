package romad_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/redisinfo"
	"github.com/roma-redis/roma/remote"
	"github.com/roma-redis/roma/status"
)

// testRestartedMaster: a partition's master crashes and is started again
// at once, within down_after, as a restart by hand or a quick reboot
// would: first from its last save, without the writes made since, then
// with no data at all. Its replica still holds every write, and would
// drop them all in a full sync from the restarted node: romad must make
// it master first, and the restarted node must follow it with every key.
// Last, a master stopped with SHUTDOWN (which saves everything) and
// started again at once stays master: nothing was lost, and a failover
// would only disturb the clients.
func testRestartedMaster(t *testing.T, c *clusterT) {
	ctx := context.Background()
	spec := c.spec
	const p = 0
	var keys []string
	for round, how := range []string{"older data", "no data"} {
		st := c.waitStatus("OK", 20*time.Second, func(s *status.Status) bool { return s.State == status.OK })
		m, r := st.Master(p), replicaOf(t, spec, p, st.Master(p))
		waitFollows(t, spec, r, m)
		mc := plantest.NodeClient(spec, m)
		write := func(n int) {
			t.Helper()
			for i := range n {
				k := fmt.Sprintf("restarted:%d:%d", round, len(keys)+i)
				if err := mc.Set(ctx, k, k, 0).Err(); err != nil {
					t.Fatalf("SET on %s: %v", m, err)
				}
				keys = append(keys, k)
			}
		}
		write(100)
		// What a crash keeps, without appendonly. A sync's fork may
		// still be saving: SAVE waits for none.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			err := mc.Save(ctx).Err()
			if err == nil {
				break
			}
			if !strings.Contains(err.Error(), "in progress") || time.Now().After(deadline) {
				t.Fatalf("SAVE on %s: %v", m, err)
			}
		}
		write(100)
		mc.Close()
		waitKeys(t, spec, r, keys)

		mn, _ := spec.Node(m)
		plantest.Crash(t, spec, mn.Host, mn.Port, m)
		if how == "no data" {
			h, _ := spec.Host(mn.Host)
			onHost(t, h, "rm -f "+remote.ShellQuote(cluster.LayoutOf(h).Data(m))+"/*")
		}
		plantest.StartByHand(t, spec, m)
		after := c.waitStatus(r+" master", 10*time.Second, func(s *status.Status) bool { return s.Master(p) == r })
		if after.Epoch <= st.Epoch {
			t.Errorf("%s made master under epoch %d, not above %d", r, after.Epoch, st.Epoch)
		}
		waitFollows(t, spec, m, r)
		for _, name := range []string{r, m} {
			waitKeys(t, spec, name, keys)
		}
		t.Logf("%s: %s restarted on %s, %s made master under epoch %d, %d keys on both", how, m, how, r, after.Epoch, len(keys))
	}

	st := c.waitStatus("OK", 20*time.Second, func(s *status.Status) bool { return s.State == status.OK })
	m, r := st.Master(p), replicaOf(t, spec, p, st.Master(p))
	waitFollows(t, spec, r, m)
	mc := plantest.NodeClient(spec, m)
	_ = mc.Shutdown(ctx).Err() // the connection closes: go-redis reports that as success, or as an error
	mc.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if ro, _ := role(spec, m); ro == "down" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still answers after SHUTDOWN", m)
		}
	}
	plantest.StartByHand(t, spec, m)
	waitFollows(t, spec, r, m)
	for end := time.Now().Add(2 * spec.Romad.DownAfter); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if s := c.read().Status; s != nil && s.Master(p) != m {
			t.Fatalf("after %s's SHUTDOWN and restart, with every write saved, romad made %q master", m, s.Master(p))
		}
	}
	if ro, _ := role(spec, m); ro != "master" {
		t.Errorf("%s is %s after its restart, not master", m, ro)
	}
	for _, name := range []string{m, r} {
		waitKeys(t, spec, name, keys)
	}
}

// replicaOf returns the node of partition p other than m.
func replicaOf(t *testing.T, spec *cluster.Spec, p int, m string) string {
	t.Helper()
	for _, n := range spec.PartitionNodes(p) {
		if n.Name != m {
			return n.Name
		}
	}
	t.Fatalf("partition %d has no node but %q", p, m)
	return ""
}

// waitFollows waits, for at most 10s, until node r is an in-sync replica
// of m.
func waitFollows(t *testing.T, spec *cluster.Spec, r, m string) {
	t.Helper()
	mn, _ := spec.Node(m)
	c := plantest.NodeClient(spec, r)
	defer c.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		reply, _ := c.Info(context.Background(), "replication").Result()
		info := redisinfo.Parse(reply)
		if info.MasterAddr() == spec.Addr(mn.Host, mn.Port) && info.LinkUp() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is %q following %q, not an in-sync replica of %s", r, info["role"], info.MasterAddr(), m)
		}
	}
}

// waitKeys waits, for at most 10s, until node name holds every key of
// keys, each with its own name as value.
func waitKeys(t *testing.T, spec *cluster.Spec, name string, keys []string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		missing := plantest.Missing(spec, name, keys)
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s lacks %d of %d keys", name, missing, len(keys))
		}
	}
}

// onHost runs a shell command on host h.
func onHost(t *testing.T, h cluster.Host, cmd string) {
	t.Helper()
	tr, err := plantest.Dial(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	res, err := tr.Run(context.Background(), cmd)
	if err != nil {
		t.Fatalf("on %s: %s: %v", h.Name, cmd, err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("on %s: %s: exit %d: %s", h.Name, cmd, res.ExitCode, res.Stderr)
	}
}
