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
