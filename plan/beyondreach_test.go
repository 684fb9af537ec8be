package plan

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/roma-redis/roma/status"
)

// TestBeyondReach: a replica removed from roma.hcl together with its
// host, which still answers at the address the published status gives,
// keeps running: roma cannot reach its host to stop it. The plan says so
// (it said nothing); one that does not answer is not mentioned. The
// decision alone, on states built by hand (apply's handover lab test
// runs it on real nodes).
func TestBeyondReach(t *testing.T) {
	spec := handSpec(t, "beyond", 1, a0AndStatus)
	rec := &status.Status{Version: status.SchemaVersion, Cluster: "c", Epoch: 4,
		Partitions: []status.Partition{{Master: "a0", Replicas: []string{"x9"}}},
		Nodes: map[string]status.NodeState{
			"a0": {Addr: "127.0.0.1:7000", Partition: 0, Role: "master"},
			"x9": {Addr: "127.0.0.9:7009", Partition: 0, Role: "replica"},
		}}
	for _, tc := range []struct {
		name string
		x9   *NodeState
		want []string
	}{
		{"it answers", &NodeState{Name: "x9", Addr: "127.0.0.9:7009", Reachable: true, Role: "replica", MasterAddr: "127.0.0.1:7000", LinkUp: true, Keys: 5},
			[]string{"node.x9: x9 at 127.0.0.9:7009 is no longer in roma.hcl, nor is its host: roma cannot reach its host to stop it, so it keeps running, a replica of a0 with its 5 keys, until you stop it. To have roma apply stop it, put its host back in roma.hcl for one apply"}},
		{"it does not answer", &NodeState{Name: "x9", Addr: "127.0.0.9:7009"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &State{Hosts: map[string]*HostState{"h": {Name: "h", Reachable: true}}, Nodes: map[string]*NodeState{
				"a0": {Name: "a0", Addr: "127.0.0.1:7000", Reachable: true, Role: "master", Keys: 5},
				"st": {Name: "st", Addr: "127.0.0.1:7100", Reachable: true, Role: "master", StatusRecord: rec.Fields()},
			}, Leaving: map[string]*NodeState{"x9": tc.x9}}
			if d := cmp.Diff(tc.want, notesOn(Diff(spec, fromConf(spec, st), Options{}), "node.x9")); d != "" {
				t.Errorf("notes on x9 (-want +got):\n%s", d)
			}
		})
	}
}

// TestStrays: a replica that a declared node lists at an address where
// roma.hcl declares no node, and that no conf file or published status
// names, is noted on its partition (the plan said nothing: a replica
// removed with its host, once the apply that removed it had run, went on
// copying the partition unseen). Declared nodes and nodes roma already
// notes as leaving are not noted again.
func TestStrays(t *testing.T) {
	spec := handSpec(t, "strays", 1, a0AndStatus)
	stray := "partition.0: a0, the master of partition 0, has a replica at 127.0.0.9:7009 that roma.hcl does not declare: roma neither manages nor stops it, and it goes on copying partition 0's keys. " +
		"If it is a node removed from roma.hcl together with its host, stop it on that host, or put the host back in roma.hcl for one apply and roma apply stops it"
	for _, tc := range []struct {
		name     string
		replicas []string
		leaving  map[string]*NodeState
		want     []string
	}{
		{"none", nil, nil, nil},
		{"undeclared", []string{"127.0.0.9:7009"}, nil, []string{stray}},
		{"leaving", []string{"127.0.0.9:7009"}, map[string]*NodeState{"x9": {Name: "x9", Addr: "127.0.0.9:7009"}}, nil},
		{"a declared node's address", []string{"127.0.0.1:7100"}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &State{Hosts: map[string]*HostState{"h": {Name: "h", Reachable: true}}, Nodes: map[string]*NodeState{
				"a0": {Name: "a0", Addr: "127.0.0.1:7000", Reachable: true, Role: "master", Keys: 5, Replicas: tc.replicas},
				"st": {Name: "st", Addr: "127.0.0.1:7100", Reachable: true, Role: "master"},
			}, Leaving: tc.leaving}
			if d := cmp.Diff(tc.want, notesOn(Diff(spec, fromConf(spec, st), Options{}), "partition.")); d != "" {
				t.Errorf("notes on partition 0 (-want +got):\n%s", d)
			}
		})
	}
}

// notesOn returns p's notes on the addresses that start with prefix, as
// "address: message".
func notesOn(p *Plan, prefix string) []string {
	var out []string
	for _, n := range p.Notes {
		if strings.HasPrefix(n.Address, prefix) {
			out = append(out, n.Address+": "+n.Message)
		}
	}
	return out
}
