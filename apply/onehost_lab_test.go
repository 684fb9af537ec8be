package apply_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/roma-redis/roma/apply"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/plan/plantest"
)

// oneHost is a small cluster of a test's own on the lab's last host,
// beside TestApplyLab's.
type oneHost struct {
	cluster    string
	partitions int
	root       string // its own, so that it leaves nothing in another test's; "" for the default
	redis      string // the lines of the cluster's redis block
	nodes      []oneHostNode
	statusPort int
}

// oneHostNode is a data node of a oneHost.
type oneHostNode struct {
	name            string
	port, partition int
}

// text is c's roma.hcl.
func (c oneHost) text(l *lab.Lab) string {
	h := l.Hosts[len(l.Hosts)-1]
	var b strings.Builder
	fmt.Fprintf(&b, "variable \"redis_password\" {\n  sensitive = true\n}\n\n")
	fmt.Fprintf(&b, "cluster %q {\n  partitions = %d\n  password   = var.redis_password\n\n  redis {\n%s  }\n}\n\n", c.cluster, c.partitions, c.redis)
	root := ""
	if c.root != "" {
		root = fmt.Sprintf("  root    = %q\n", c.root)
	}
	fmt.Fprintf(&b, "host %q {\n  address = %q\n%s  service = \"process\"\n\n  ssh {\n    user          = \"root\"\n    port          = %d\n    identity_file = %q\n    known_hosts   = %q\n  }\n}\n\n",
		h.Name, h.Address, root, h.Port, l.IdentityFile, l.KnownHosts)
	for _, n := range c.nodes {
		fmt.Fprintf(&b, "node %q {\n  host      = %q\n  port      = %d\n  partition = %d\n}\n\n", n.name, h.Name, n.port, n.partition)
	}
	fmt.Fprintf(&b, "status %q {\n  host = %q\n  port = %d\n}\n", c.cluster+"-st", h.Name, c.statusPort)
	return b.String()
}

// destroyAtEnd destroys the cluster *spec declares when the test ends,
// data directories included: the spec as it is then.
func destroyAtEnd(t *testing.T, spec **cluster.Spec) {
	t.Cleanup(func() {
		if _, err := apply.Destroy(context.Background(), *spec, true, apply.Options{Dial: plantest.Dial}); err != nil {
			t.Errorf("destroy: %v", err)
		}
	})
}
