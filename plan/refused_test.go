package plan

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPasswordRefusedOnce: when every node running refuses roma.hcl's
// password, the plan says so once, for the cluster, instead of a refusal
// per node and a note per node and partition; when only some refuse, it
// names each of them. The decision alone, on observed states built by
// hand (plan's and cmd/roma's lab tests run it on real nodes).
func TestPasswordRefusedOnce(t *testing.T) {
	spec := handSpec(t, "refused", 2, `
host "g" {
  address   = "127.0.0.2"
  transport = "local"
  root      = "/tmp/roma-refused-test"
  service   = "process"
}
node "a0" {
  host      = "h"
  port      = 7000
  partition = 0
}
node "a1" {
  host      = "g"
  port      = 7001
  partition = 1
}
status "st" {
  host = "h"
  port = 7100
}
`)
	refused := func(name, addr string) *NodeState { return &NodeState{Name: name, Addr: addr, AuthError: true} }
	up := func(name, addr string) *NodeState {
		return &NodeState{Name: name, Addr: addr, Reachable: true, Role: "master", Keys: 1}
	}
	type notes struct{ Unobserved, Refusals []string }
	for _, tc := range []struct {
		name  string
		hostG bool // host g reachable
		nodes map[string]*NodeState
		want  notes
	}{
		{
			name:  "every node refuses",
			hostG: true,
			nodes: map[string]*NodeState{"a0": refused("a0", "127.0.0.1:7000"), "a1": refused("a1", "127.0.0.2:7001"), "st": refused("st", "127.0.0.1:7100")},
			want:  notes{Unobserved: []string{"cluster.c"}, Refusals: []string{"cluster.c"}},
		},
		{
			name:  "every node observed refuses, one host unreachable",
			hostG: false,
			nodes: map[string]*NodeState{"a0": refused("a0", "127.0.0.1:7000"), "st": refused("st", "127.0.0.1:7100")},
			want:  notes{Unobserved: []string{"host.g", "cluster.c", "node.a1"}, Refusals: []string{"cluster.c"}},
		},
		{
			name:  "every node running refuses, one not running (new)",
			hostG: true,
			nodes: map[string]*NodeState{"a0": refused("a0", "127.0.0.1:7000"), "a1": {Name: "a1", Addr: "127.0.0.2:7001"}, "st": refused("st", "127.0.0.1:7100")},
			want:  notes{Unobserved: []string{"cluster.c"}, Refusals: []string{"cluster.c"}},
		},
		{
			name:  "one node refuses",
			hostG: true,
			nodes: map[string]*NodeState{"a0": up("a0", "127.0.0.1:7000"), "a1": refused("a1", "127.0.0.2:7001"), "st": up("st", "127.0.0.1:7100")},
			want:  notes{Unobserved: []string{"node.a1", "partition.1"}, Refusals: []string{"node.a1"}},
		},
		{
			name:  "the only node observed refuses",
			hostG: false,
			nodes: map[string]*NodeState{"a0": refused("a0", "127.0.0.1:7000"), "st": up("st", "127.0.0.1:7100")},
			want:  notes{Unobserved: []string{"host.g", "node.a0", "node.a1", "partition.0"}, Refusals: []string{"node.a0"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &State{Hosts: map[string]*HostState{
				"h": {Name: "h", Reachable: true},
				"g": {Name: "g", Reachable: tc.hostG},
			}, Nodes: tc.nodes}
			p := Diff(spec, fromConf(spec, st), Options{})
			var got notes
			for _, n := range p.Unobserved {
				got.Unobserved = append(got.Unobserved, n.Address)
			}
			for _, n := range p.Refusals {
				got.Refusals = append(got.Refusals, n.Address)
				if msg := "runs with another password than roma.hcl's"; !strings.Contains(n.Message, msg) {
					t.Errorf("refusal %s: %q, want it to say it %s", n.Address, n.Message, msg)
				}
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("notes' addresses (-want +got):\n%s\nunobserved %v\nrefusals %v", d, p.Unobserved, p.Refusals)
			}
		})
	}
}
