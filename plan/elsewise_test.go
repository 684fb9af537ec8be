package plan

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestStartedElsewise: a server roma did not start, at the address of a
// node, started from no conf file (whether roma wrote one for the node
// there or not) or another one, is refused (node), and its partition
// plans nothing around it: the plan said the partition had two masters,
// and would demote it, its data lost. The
// decision alone, on states built by hand (TestServerRomaDidNotStart runs
// a real server).
func TestStartedElsewise(t *testing.T) {
	spec := handSpec(t, "elsewise", 1, a0AndStatus+`
node "d0" {
  host      = "h"
  port      = 7003
  partition = 0
}
`)
	conf := "/tmp/roma-elsewise-test/conf/d0.conf"
	for _, tc := range []struct {
		name       string
		configFile string
		file       bool   // roma's conf file for d0 on the host
		want       string // the start of node.d0's refusal; "" for none
	}{
		{"no conf file anywhere", "", false, "127.0.0.1:7003 is served by a redis-server started without a conf file (by hand, or by another tool; it holds 3 keys), not from " + conf + ": "},
		{"another file", "/etc/redis/redis.conf", false, "127.0.0.1:7003 is served by a redis-server that is not d0's, started from /etc/redis/redis.conf, not from " + conf + ": "},
		{"roma's conf file on the host, started without it", "", true, "127.0.0.1:7003 is served by a redis-server started without a conf file (by hand, or by another tool; it holds 3 keys), not from " + conf + ": "},
		{"from roma's conf file", conf, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs := &HostState{Name: "h", Reachable: true, Files: map[string]*FileState{}}
			if tc.file {
				hs.Files["d0"] = &FileState{Path: conf}
			}
			st := fromConf(spec, &State{Hosts: map[string]*HostState{"h": hs}, Nodes: map[string]*NodeState{
				"a0": {Name: "a0", Addr: "127.0.0.1:7000", Reachable: true, Role: "master", Keys: 5},
				"d0": {Name: "d0", Addr: "127.0.0.1:7003", Reachable: true, Role: "master", Keys: 3, Databases: map[int]int64{0: 3}, ConfigFile: tc.configFile},
				"st": {Name: "st", Addr: "127.0.0.1:7100", Reachable: true, Role: "master"},
			}})
			st.Nodes["d0"].ConfigFile = tc.configFile // fromConf filled it in when ""
			p := Diff(spec, st, Options{})
			var got []string
			for _, r := range p.Refusals {
				if r.Address == "node.d0" {
					got = append(got, r.Message)
				}
			}
			var want []string
			if tc.want != "" {
				want = []string{tc.want}
				if len(got) == 1 && strings.HasPrefix(got[0], tc.want) {
					got[0] = tc.want
				}
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("refusals of node.d0 (-want +got):\n%s", d)
			}
			for _, r := range p.Resources {
				if r.Address == "partition.0" && tc.want != "" {
					t.Errorf("partition.0 planned around the server roma did not start: %q, steps %+v", r.Reasons, r.Steps)
				}
			}
		})
	}
}
