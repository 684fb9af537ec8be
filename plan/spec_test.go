package plan

import (
	"fmt"
	"testing"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/hclspec"
)

// handSpec loads, for a test that builds observed states by hand, the
// cluster "c" of partitions on the local host "h" (127.0.0.1, under a
// root named after the test), with body's blocks (nodes, status nodes,
// more hosts) added.
func handSpec(t *testing.T, name string, partitions int, body string) *cluster.Spec {
	t.Helper()
	src := fmt.Sprintf(`
cluster "c" {
  partitions = %d
  password   = "%s-test-pw"
}
host "h" {
  address   = "127.0.0.1"
  transport = "local"
  root      = "/tmp/roma-%s-test"
  service   = "process"
}
%s`, partitions, name, name, body)
	cfg, diags := hclspec.LoadSource([]byte(src), "roma.hcl", t.TempDir(), hclspec.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return cfg.Spec
}

// a0AndStatus is a handSpec body: data node a0 of partition 0 at
// 127.0.0.1:7000, and status node st at 127.0.0.1:7100.
const a0AndStatus = `
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

// fromConf marks every node of st that answers, and was given no conf
// file, as started from the conf file roma writes for it on its host
// (INFO config_file): the state of a node that apply started. A server
// started from none is one roma did not start (node refuses it). It
// returns st.
func fromConf(spec *cluster.Spec, st *State) *State {
	for _, t := range targets(spec) {
		if ns := st.Nodes[t.Name]; ns != nil && ns.Reachable && ns.ConfigFile == "" {
			ns.ConfigFile = cluster.LayoutOf(t.Host).Conf(t.Name)
		}
	}
	return st
}
