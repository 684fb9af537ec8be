package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/roma-redis/roma/hclspec"
)

// TestStaleNames: a saved plan is stale when what it observed changed, and
// Stale names the change as the plan names the resource: a status node
// as status.NAME, a data node as node.NAME.
func TestStaleNames(t *testing.T) {
	src := `
cluster "c" {
  partitions = 1
  password   = "stale-test-pw"
}
host "h" {
  address   = "127.0.0.1"
  transport = "local"
  root      = "/tmp/roma-stale-test"
  service   = "process"
}
node "a0" {
  host      = "h"
  port      = 7000
  partition = 0
}
status "st" {
  host = "h"
  port = 7100
}
`
	cfg, diags := hclspec.LoadSource([]byte(src), "roma.hcl", t.TempDir(), hclspec.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
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
	saved := Diff(cfg.Spec, state(""), Options{})
	for _, tc := range []struct {
		change string
		want   []string
	}{
		{"", nil},
		{"a0", []string{"node.a0 changed"}},
		{"st", []string{"status.st changed"}},
	} {
		t.Run("changed "+tc.change, func(t *testing.T) {
			if d := cmp.Diff(tc.want, Stale(saved, Diff(cfg.Spec, state(tc.change), Options{}))); d != "" {
				t.Errorf("Stale (-want +got):\n%s", d)
			}
		})
	}
}
