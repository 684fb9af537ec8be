package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/roma-redis/roma/cluster"
)

func TestStopOutage(t *testing.T) {
	// Partition 0 on a and b, partition 1 on b only; status nodes on a,
	// b and c.
	spec := &cluster.Spec{
		Partitions: 3,
		Nodes: []cluster.Node{
			{Name: "a-1", Host: "a", Partition: 0},
			{Name: "b-1", Host: "b", Partition: 0},
			{Name: "b-2", Host: "b", Partition: 1},
			{Name: "c-1", Host: "c", Partition: 2},
			{Name: "a-2", Host: "a", Partition: 2},
		},
		Status: []cluster.StatusNode{{Name: "s1", Host: "a"}, {Name: "s2", Host: "b"}, {Name: "s3", Host: "c"}},
	}
	for _, tc := range []struct {
		hosts []string
		want  string
	}{
		{nil, "takes the whole cluster out of service (3 partitions, 5 nodes)"},
		{[]string{"a"}, ""},
		{[]string{"c"}, ""},
		{[]string{"b"}, "takes partition 1 out of service (every node of it is on those hosts)"},
		{[]string{"a", "c"}, "takes partition 2 out of service (every node of it is on those hosts), and stops 2 of the 3 status nodes, leaving no majority to give clients the cluster status"},
		{[]string{"a", "b"}, "takes partitions 0, 1 out of service (every node of them is on those hosts), and stops 2 of the 3 status nodes, leaving no majority to give clients the cluster status"},
	} {
		if diff := cmp.Diff(tc.want, stopOutage(spec, tc.hosts)); diff != "" {
			t.Errorf("stopOutage(%v) (-want +got):\n%s", tc.hosts, diff)
		}
	}
	// Of two status nodes, one stopped leaves no majority.
	two := &cluster.Spec{Partitions: 1, Nodes: []cluster.Node{{Name: "a-1", Host: "a"}, {Name: "b-1", Host: "b"}},
		Status: []cluster.StatusNode{{Name: "s1", Host: "a"}, {Name: "s2", Host: "b"}}}
	want := "stops 1 of the 2 status nodes, leaving no majority to give clients the cluster status"
	if diff := cmp.Diff(want, stopOutage(two, []string{"a"})); diff != "" {
		t.Errorf("stopOutage(two status nodes, a) (-want +got):\n%s", diff)
	}
}
