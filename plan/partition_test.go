package plan

import (
	"testing"

	"github.com/roma-redis/roma/status"
)

// TestTwoMastersKeepsTheLastMaster: a partition with two masters keeps
// the one the status names as its last master, its master or the one it
// lost at HALT, over the one holding more keys; with no status, the one
// holding the most keys. The decision alone, on an observed state built
// by hand (the lab tests run the cases that lead there).
func TestTwoMastersKeepsTheLastMaster(t *testing.T) {
	spec := handSpec(t, "partition", 1, `
node "a0" {
  host      = "h"
  port      = 7000
  partition = 0
}
node "a1" {
  host      = "h"
  port      = 7001
  partition = 0
}
status "st" {
  host = "h"
  port = 7100
}
`)
	for _, tc := range []struct {
		name string
		rec  *status.Partition
		want string
	}{
		{"no status: the most keys", nil, "a0"},
		{"the published master", &status.Partition{Master: "a1"}, "a1"},
		{"the master lost at HALT", &status.Partition{Lost: "a1"}, "a1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &State{Hosts: map[string]*HostState{"h": {Name: "h", Reachable: true}}, Nodes: map[string]*NodeState{
				"a0": {Name: "a0", Addr: "127.0.0.1:7000", Reachable: true, Role: "master", Keys: 90, Offset: 900},
				"a1": {Name: "a1", Addr: "127.0.0.1:7001", Reachable: true, Role: "master", Keys: 10, Offset: 100},
				"st": {Name: "st", Addr: "127.0.0.1:7100", Reachable: true, Role: "master"},
			}}
			if tc.rec != nil {
				st.Nodes["st"].StatusRecord = (&status.Status{Version: status.SchemaVersion, Cluster: "c", Epoch: 3, Partitions: []status.Partition{*tc.rec}}).Fields()
			}
			p := Diff(spec, fromConf(spec, st), Options{})
			for _, r := range p.Resources {
				if r.Address != "partition.0" {
					continue
				}
				for _, ch := range r.Changes {
					if ch.Attr == "master" {
						if ch.New != tc.want {
							t.Errorf("the plan keeps %s, want %s: %q", ch.New, tc.want, r.Reasons)
						}
						return
					}
				}
			}
			t.Errorf("the plan keeps no master of partition 0: %+v", p.Resources)
		})
	}
}
