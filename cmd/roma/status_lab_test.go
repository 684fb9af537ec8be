package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/status"
	"github.com/roma-redis/roma/status/view/viewtest"
)

// artifacts is where tests leave files for people to look at (git
// ignores it): the status page's screenshots.
const artifacts = "../../artifacts"

// TestStatusPageInChromium brings a lab cluster up, publishes its status
// as romad would, and renders roma status -format html in headless
// Chromium at a phone's size while the cluster is healthy, degraded (a
// replica stopped) and halted (partition 1's nodes stopped). The rendered
// page must show each partition's master (or that it has none) and be no
// wider than the phone; its screenshots are kept in artifacts/
// (status.png for the healthy cluster, status-degraded.png,
// status-halt.png).
func TestStatusPageInChromium(t *testing.T) {
	viewtest.Need(t, "chromium", "chromium")
	dir, spec, _ := labCluster(t, pageStatus)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	steps := []struct {
		name    string
		stop    []string // nodes to stop first
		code    int
		masters []string // per partition; "" for none
		shot    string
	}{
		{"healthy", nil, exitOK, []string{"db1-7000", "db2-7001", "db3-7001"}, "status.png"},
		{"degraded", []string{"db2-7000"}, exitDegraded, []string{"db1-7000", "db2-7001", "db3-7001"}, "status-degraded.png"},
		{"halt", []string{"db2-7001", "db3-7000"}, exitHalt, []string{"db1-7000", "", "db3-7001"}, "status-halt.png"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			for _, n := range st.stop {
				_ = plantest.NodeClient(spec, n).Shutdown(ctx).Err()
			}
			var out, errb bytes.Buffer
			if code := run([]string{"status", "-c", dir, "-format", "html"}, nil, &out, &errb); code != st.code {
				t.Fatalf("roma status exited %d, want %d; stderr:\n%s", code, st.code, errb.String())
			}
			if strings.Contains(out.String(), plantest.Password) {
				t.Fatal("the page shows the password")
			}
			pg := viewtest.Render(t, out.Bytes(), viewtest.PhoneWidth, viewtest.PhoneHeight)
			for p, m := range st.masters {
				viewtest.CheckMaster(t, pg.DOM, p, m)
			}
			if pg.ScrollWidth > viewtest.PhoneWidth {
				t.Errorf("the page is %dpx wide, wider than a %dpx phone", pg.ScrollWidth, viewtest.PhoneWidth)
			}
			shot := filepath.Join(artifacts, st.shot)
			viewtest.Screenshot(t, out.Bytes(), shot, viewtest.PhoneWidth, viewtest.PhoneHeight)
			abs, _ := filepath.Abs(shot)
			t.Logf("screenshot: %s", abs)
		})
	}
}

// publish writes to every status node the status romad would publish for
// a freshly bootstrapped cluster: the first node of each partition master.
// pageStatus is the status the page shows: OK at epoch 1, each
// partition's first node its master, a backup an hour ago.
func pageStatus(spec *cluster.Spec) *status.Status {
	now := time.Now().UTC()
	s := &status.Status{Version: status.SchemaVersion, Cluster: spec.Name, State: status.OK, Epoch: 1, Alpha: spec.Hosts[0].Name,
		Updated: now, Hash: "jump", Nodes: map[string]status.NodeState{},
		Backup: &status.Backup{ID: now.Add(-time.Hour).Format("20060102T150405Z"), Time: now.Add(-time.Hour), OK: true, Duration: 2.5}}
	for p := range spec.Partitions {
		nodes := spec.PartitionNodes(p)
		part := status.Partition{Master: nodes[0].Name}
		for _, n := range nodes {
			role := "master"
			if n.Name != part.Master {
				part.Replicas = append(part.Replicas, n.Name)
				role = "replica"
			}
			s.Nodes[n.Name] = status.NodeState{Addr: spec.Addr(n.Host, n.Port), Partition: p, Role: role, State: status.NodeUp, Since: now}
		}
		s.Partitions = append(s.Partitions, part)
	}
	return s
}
