package report

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	"github.com/roma-redis/roma/status"
)

// FromStatus makes a report from a published status alone, without a
// probe: what romad, which watches every node itself, shows on its status
// page. The state is the published one; the problems are the nodes the
// status says are not up and the partitions it gives no master.
func FromStatus(s *status.Status, now time.Time) *Report {
	r := &Report{
		Cluster: s.Cluster, State: s.State, Source: SourceStatus, Checked: now.UTC(),
		Published: &Published{State: s.State, Epoch: s.Epoch, Alpha: s.Alpha, Updated: s.Updated.UTC(), Maintenance: s.Maintenance},
		Backup:    s.Backup,
	}
	for _, name := range s.NodeNames() {
		n := s.Nodes[name]
		if n.Partition < 0 {
			r.StatusNodes = append(r.StatusNodes, StatusNode{Name: name, Addr: n.Addr, Up: n.State == status.NodeUp, Epoch: s.Epoch, Stopped: n.Stopped})
			continue
		}
		nd := Node{Name: name, Addr: n.Addr, Partition: n.Partition, Role: n.Role, State: n.State,
			Since: n.Since.UTC(), Memory: n.Memory, Keys: n.Keys, Stopped: n.Stopped}
		if n.Role == "replica" && (n.State == status.NodeUp || n.State == status.NodeSyncing) {
			lag := n.Lag
			nd.Lag = &lag
		}
		switch {
		case n.State == status.NodeDown && n.Stopped != nil:
			r.Problems = append(r.Problems, "node "+name+" was stopped "+n.Stopped.String())
		case n.State != status.NodeUp:
			r.Problems = append(r.Problems, "node "+name+" is "+n.State)
		}
		r.Nodes = append(r.Nodes, nd)
	}
	slices.SortStableFunc(r.Nodes, func(a, b Node) int { return cmp.Compare(a.Partition, b.Partition) })
	for i, p := range s.Partitions {
		part := Partition{Index: i, Master: p.Master, Replicas: p.Replicas}
		if m, ok := s.Nodes[p.Master]; ok {
			part.Serving = m.State == status.NodeUp
		}
		for j := range r.Nodes {
			if r.Nodes[j].Partition == i && r.Nodes[j].Role == "replica" {
				r.Nodes[j].Master = p.Master
			}
		}
		if p.Master == "" {
			r.Problems = append([]string{"partition " + strconv.Itoa(i) + " has no master"}, r.Problems...)
		}
		r.Partitions = append(r.Partitions, part)
	}
	up := 0
	for _, sn := range r.StatusNodes {
		if sn.Up {
			up++
		}
	}
	r.Agreement = Agreement{Total: len(r.StatusNodes), Answered: up, Agreeing: up, Majority: up*2 > len(r.StatusNodes)}
	return r
}
