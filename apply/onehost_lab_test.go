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
	"github.com/roma-redis/roma/remote"
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

// hostEntry is a host block naming lab host h under root, as a second
// entry for the same lab host when it has a root of its own.
func hostEntry(l *lab.Lab, name string, h *lab.Host, root string) string {
	return fmt.Sprintf(`
host %q {
  address = %q
  root    = %q
  service = "process"

  ssh {
    user          = "root"
    port          = %d
    identity_file = %q
    known_hosts   = %q
  }
}
`, name, h.Address, root, h.Port, l.IdentityFile, l.KnownHosts)
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

// labHost is a shell on the lab host of a oneHost cluster.
type labHost struct {
	t      *testing.T
	tr     remote.Transport
	host   cluster.Host
	layout cluster.Layout
}

// dialHost connects to the lab host of spec, a oneHost cluster, until the
// test ends.
func dialHost(t *testing.T, ctx context.Context, spec *cluster.Spec) *labHost {
	t.Helper()
	host := spec.Hosts[0]
	tr, err := plantest.Dial(ctx, host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return &labHost{t: t, tr: tr, host: host, layout: cluster.LayoutOf(host)}
}

// run runs script on the host, failing the test unless it succeeds.
func (h *labHost) run(ctx context.Context, script string) {
	h.t.Helper()
	if res, err := h.tr.Run(ctx, script); err != nil || res.ExitCode != 0 {
		h.t.Fatalf("%s on %s: %v %s", script, h.host.Name, err, res.Stderr)
	}
}
