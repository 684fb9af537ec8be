// Package clienttest publishes cluster statuses and simulates failovers
// for the tests of the client package and roma cli, until romad does it
// for them: it writes statuses to the status nodes as romad's alpha does
// (epoch-fenced, published on the status channel).
package clienttest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/status"
)

// Status returns a status of spec's cluster at epoch, state OK: partition
// p's master is masters[p] when given, else its first node; its other
// nodes are its replicas; every node is up.
func Status(spec *cluster.Spec, epoch int64, masters map[int]string) *status.Status {
	st := &status.Status{
		Version: status.SchemaVersion, Cluster: spec.Name, State: status.OK, Epoch: epoch,
		Alpha: "clienttest", Updated: time.Now(), Hash: spec.Hash,
		Partitions: make([]status.Partition, spec.Partitions), Nodes: map[string]status.NodeState{},
	}
	if st.Hash == "" {
		st.Hash = "jump"
	}
	for p := range spec.Partitions {
		nodes := spec.PartitionNodes(p)
		m, ok := masters[p]
		if !ok && len(nodes) > 0 {
			m = nodes[0].Name
		}
		st.Partitions[p].Master = m
		for _, n := range nodes {
			role := "master"
			if n.Name != m {
				role = "replica"
				st.Partitions[p].Replicas = append(st.Partitions[p].Replicas, n.Name)
			}
			st.Nodes[n.Name] = status.NodeState{Addr: spec.Addr(n.Host, n.Port), Database: n.Database, Partition: p, Role: role,
				State: status.NodeUp, Since: st.Updated}
		}
	}
	st.State = status.Compute(st.Partitions, st.Nodes)
	return st
}

// Publish writes st to every status node of spec.
func Publish(ctx context.Context, spec *cluster.Spec, st *status.Status) error {
	st.Updated = time.Now()
	for _, s := range spec.Status {
		c := plantest.Client(spec, s.Host, s.Port)
		err := status.Write(ctx, c, st)
		c.Close()
		if err != nil {
			return fmt.Errorf("write status (epoch %d) to %s: %w", st.Epoch, s.Name, err)
		}
	}
	return nil
}

// Failover makes node the master of its partition as romad would, and
// returns the status that says so, at epoch (already published): once
// node has caught up with the old master (when it answers), REPLICAOF NO
// ONE on node, the partition's other nodes that answer replicate from it,
// and gap later the status is published (meanwhile, clients still write
// to the old master).
func Failover(ctx context.Context, spec *cluster.Spec, cur *status.Status, node string, epoch int64, gap time.Duration) (*status.Status, error) {
	n, ok := spec.Node(node)
	if !ok {
		return nil, fmt.Errorf("no node %s", node)
	}
	nc := plantest.NodeClient(spec, node)
	defer nc.Close()
	if old := cur.Master(n.Partition); old != "" && old != node {
		if err := catchUp(ctx, spec, old, nc); err != nil {
			return nil, fmt.Errorf("%s catching up with %s: %w", node, old, err)
		}
	}
	if err := nc.ReplicaOf(ctx, "no", "one").Err(); err != nil {
		return nil, fmt.Errorf("promote %s: %w", node, err)
	}
	h, _ := spec.Host(n.Host)
	for _, o := range spec.PartitionNodes(n.Partition) {
		if o.Name == node {
			continue
		}
		oc := plantest.NodeClient(spec, o.Name)
		if oc.Ping(ctx).Err() != nil {
			oc.Close()
			continue // down: romad would repoint it when it returns
		}
		err := oc.ReplicaOf(ctx, h.Address, fmt.Sprint(n.Port)).Err()
		oc.Close()
		if err != nil {
			return nil, fmt.Errorf("repoint %s to %s: %w", o.Name, node, err)
		}
	}
	select {
	case <-time.After(gap):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	masters := map[int]string{}
	for p, part := range cur.Partitions {
		masters[p] = part.Master
	}
	masters[n.Partition] = node
	st := Status(spec, epoch, masters)
	return st, Publish(ctx, spec, st)
}

// catchUp waits (at most 5s) until replica has every write of master,
// as a planned failover does. A master that does not answer has nothing
// more to give.
func catchUp(ctx context.Context, spec *cluster.Spec, master string, replica *redis.Client) error {
	mc := plantest.NodeClient(spec, master)
	defer mc.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		m, err := infoField(ctx, mc, "master_repl_offset")
		if err != nil {
			return nil
		}
		if r, _ := infoField(ctx, replica, "slave_repl_offset"); r >= m {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still behind after 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func infoField(ctx context.Context, c *redis.Client, name string) (int64, error) {
	info, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in INFO replication", name)
}

// Halt returns cur at epoch with state HALT and no master for partition p.
func Halt(cur *status.Status, epoch int64, p int) *status.Status {
	st := *cur
	st.Epoch, st.State = epoch, status.Halt
	st.Partitions = append([]status.Partition(nil), cur.Partitions...)
	old := st.Partitions[p].Master
	st.Partitions[p].Master = ""
	st.Nodes = map[string]status.NodeState{}
	for k, v := range cur.Nodes {
		if k == old {
			v.State, v.Role = status.NodeDown, ""
		}
		st.Nodes[k] = v
	}
	return &st
}

// Masters returns the master of each partition in st, as "p=name" words.
func Masters(st *status.Status) string {
	var out []string
	for p, part := range st.Partitions {
		out = append(out, fmt.Sprintf("%d=%s", p, part.Master))
	}
	return strings.Join(out, " ")
}
