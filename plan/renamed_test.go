package plan

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconf"
)

// TestForeignFolded: conf files of another cluster where roma.hcl puts
// its nodes are refused once, for the cluster, when every conf file its
// nodes have belongs to that one other cluster (roma.hcl's cluster
// renamed); else each such node on its own. Either way nothing is planned
// for those nodes (it planned each conf file's header rewritten).
func TestForeignFolded(t *testing.T) {
	spec := handSpec(t, "folded", 1, a0AndStatus+`
node "b0" {
  host      = "h"
  port      = 7001
  partition = 0
}
`)
	fileOf := func(clusterName, node string) *FileState {
		s := *spec
		s.Name = clusterName
		for _, tg := range targets(&s) {
			if tg.Name == node {
				return &FileState{Path: cluster.LayoutOf(tg.Host).Conf(node), Content: redisconf.Render(&s, tg)}
			}
		}
		t.Fatalf("no node %s", node)
		return nil
	}
	const folded = `roma.hcl declares cluster "c", and every conf file its nodes have on the hosts`
	const own = `belongs to cluster "old", and roma.hcl declares cluster "c": roma does not take over another cluster's nodes`
	for _, tc := range []struct {
		name  string
		files map[string]string // node: the cluster its conf file is of
		want  map[string]string // refusal address: a part of its message
	}{
		{"every file another cluster's", map[string]string{"a0": "old", "b0": "old", "st": "old"},
			map[string]string{"cluster.c": folded + ` (3, on h) belongs to cluster "old" (was the cluster renamed in roma.hcl?)`}},
		{"a node without a file", map[string]string{"a0": "old", "st": "old"},
			map[string]string{"cluster.c": folded + ` (2, on h) belongs to cluster "old"`}},
		{"one file of roma.hcl's cluster", map[string]string{"a0": "old", "b0": "c", "st": "old"},
			map[string]string{"node.a0": own, "status.st": own}},
		{"two other clusters", map[string]string{"a0": "old", "b0": "older", "st": "old"},
			map[string]string{"node.a0": own, "node.b0": `belongs to cluster "older"`, "status.st": own}},
		{"one node", map[string]string{"a0": "old"}, map[string]string{"node.a0": own}},
		{"none", map[string]string{"a0": "c", "b0": "c", "st": "c"}, map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs := &HostState{Name: "h", Reachable: true, Files: map[string]*FileState{}}
			for n, c := range tc.files {
				hs.Files[n] = fileOf(c, n)
			}
			st := fromConf(spec, &State{Hosts: map[string]*HostState{"h": hs}, Nodes: map[string]*NodeState{
				"a0": {Name: "a0", Addr: "127.0.0.1:7000", Reachable: true, Role: "master"},
				"b0": {Name: "b0", Addr: "127.0.0.1:7001", Reachable: true, Role: "slave", MasterAddr: "127.0.0.1:7000", LinkUp: true},
				"st": {Name: "st", Addr: "127.0.0.1:7100", Reachable: true, Role: "master"},
			}})
			p := Diff(spec, st, Options{})
			got := map[string]string{}
			for _, r := range p.Refusals {
				if _, dup := got[r.Address]; dup {
					t.Errorf("two refusals of %s", r.Address)
				}
				got[r.Address] = r.Message
				if w, ok := tc.want[r.Address]; ok && strings.Contains(r.Message, w) {
					got[r.Address] = w
				}
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("refusals (-want +got):\n%s", d)
			}
			for _, r := range p.Resources {
				if c := tc.files[r.Name]; c != "" && c != "c" && (r.Kind == "node" || r.Kind == "status") {
					t.Errorf("planned for another cluster's node: %s %s %q", r.Address, r.Action, r.Reasons)
				}
			}
		})
	}
}
