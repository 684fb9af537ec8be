package report

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/roma-redis/roma/status"
)

func TestFromStatus(t *testing.T) {
	s := &status.Status{
		Version: 1, Cluster: "shop", State: status.Halt, Epoch: 9, Alpha: "db2", Updated: now.Add(-time.Second),
		Partitions: []status.Partition{{Master: "db1-7000", Replicas: []string{"db2-7000"}}, {Replicas: []string{"db2-7001"}}},
		Nodes: map[string]status.NodeState{
			"db1-7000": {Addr: "10.0.0.1:7000", Partition: 0, Role: "master", State: status.NodeUp, Since: now.Add(-time.Hour), Memory: 100, Keys: 3},
			"db2-7000": {Addr: "10.0.0.2:7000", Partition: 0, Role: "replica", State: status.NodeUp, Since: now.Add(-time.Hour), Lag: 12, Memory: 90, Keys: 3},
			"db2-7001": {Addr: "10.0.0.2:7001", Partition: 1, State: status.NodeDown, Since: now.Add(-time.Minute)},
			"st1":      {Addr: "10.0.0.1:7100", Partition: -1, State: status.NodeUp},
		},
	}
	lag := int64(12)
	want := &Report{
		Cluster: "shop", State: status.Halt, Source: SourceStatus, Checked: now,
		Published:   &Published{State: status.Halt, Epoch: 9, Alpha: "db2", Updated: now.Add(-time.Second)},
		StatusNodes: []StatusNode{{Name: "st1", Addr: "10.0.0.1:7100", Up: true, Epoch: 9}},
		Agreement:   Agreement{Total: 1, Answered: 1, Agreeing: 1, Majority: true},
		Partitions: []Partition{
			{Index: 0, Master: "db1-7000", Serving: true, Replicas: []string{"db2-7000"}},
			{Index: 1, Replicas: []string{"db2-7001"}},
		},
		Nodes: []Node{
			{Name: "db1-7000", Addr: "10.0.0.1:7000", Partition: 0, Role: "master", State: "up", Since: now.Add(-time.Hour), Memory: 100, Keys: 3},
			{Name: "db2-7000", Addr: "10.0.0.2:7000", Partition: 0, Role: "replica", State: "up", Since: now.Add(-time.Hour), Master: "db1-7000", Lag: &lag, Memory: 90, Keys: 3},
			{Name: "db2-7001", Addr: "10.0.0.2:7001", Partition: 1, State: "down", Since: now.Add(-time.Minute)},
		},
		Problems: []string{"partition 1 has no master", "node db2-7001 is down"},
	}
	if d := cmp.Diff(want, FromStatus(s, now)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
