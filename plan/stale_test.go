package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestStaleNames: a saved plan is stale when what it observed changed, and
// Stale names the change as the plan names the resource: a status node
// as status.NAME, a data node as node.NAME.
func TestStaleNames(t *testing.T) {
	spec := handSpec(t, "stale", 1, a0AndStatus)
	state := func(change string) *State {
		st := &State{Hosts: map[string]*HostState{"h": {Name: "h", Reachable: true}}, Nodes: map[string]*NodeState{
			"a0": {Name: "a0", Addr: "127.0.0.1:7000", Reachable: true, Role: "master", Config: map[string]string{"hz": "10"}},
			"st": {Name: "st", Addr: "127.0.0.1:7100", Reachable: true, Role: "master", Config: map[string]string{"hz": "10"}},
		}}
		if change != "" {
			st.Nodes[change].Config["hz"] = "20"
		}
		return st
	}
	saved := Diff(spec, fromConf(spec, state("")), Options{})
	for _, tc := range []struct {
		change string
		want   []string
	}{
		{"", nil},
		{"a0", []string{"node.a0 changed"}},
		{"st", []string{"status.st changed"}},
	} {
		t.Run("changed "+tc.change, func(t *testing.T) {
			if d := cmp.Diff(tc.want, Stale(saved, Diff(spec, fromConf(spec, state(tc.change)), Options{}))); d != "" {
				t.Errorf("Stale (-want +got):\n%s", d)
			}
		})
	}
}
