package view

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/roma-redis/roma/status"
	"github.com/roma-redis/roma/status/report"
	"github.com/roma-redis/roma/status/view/viewtest"
)

// outside matches an address outside the page (the SVG namespace in the
// inline icon is a name, not a fetch).
var outside = regexp.MustCompile(`(?:https?:)?//[a-zA-Z0-9.-]+\.[a-z]{2,}[^\s'"<>%]*`)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var checked = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func i64(n int64) *int64 { return &n }

// healthy is a cluster of two partitions, all up, as published.
func healthy() *report.Report {
	return &report.Report{
		Cluster: "shop", State: status.OK, Source: report.SourceStatus, Checked: checked,
		Published: &report.Published{State: status.OK, Epoch: 7, Alpha: "db1", Updated: checked.Add(-90 * time.Second)},
		StatusNodes: []report.StatusNode{
			{Name: "st1", Addr: "10.0.0.1:7100", Up: true, Epoch: 7},
			{Name: "st2", Addr: "10.0.0.2:7100", Up: true, Epoch: 7},
			{Name: "st3", Addr: "10.0.0.3:7100", Up: true, Epoch: 7},
		},
		Agreement: report.Agreement{Total: 3, Answered: 3, Agreeing: 3, Majority: true},
		Partitions: []report.Partition{
			{Index: 0, Master: "db1-7000", Serving: true, Replicas: []string{"db2-7000"}},
			{Index: 1, Master: "db2-7001", Serving: true, Replicas: []string{"db1-7001"}},
		},
		Nodes: []report.Node{
			{Name: "db1-7000", Host: "db1", Addr: "10.0.0.1:7000", Partition: 0, Role: "master", State: "up",
				Since: checked.Add(-26 * time.Hour), Memory: 3 << 20, MaxMemory: 64 << 20, Keys: 10240},
			{Name: "db2-7000", Host: "db2", Addr: "10.0.0.2:7000", Partition: 0, Role: "replica", State: "up",
				Since: checked.Add(-3 * time.Hour), Master: "db1-7000", Link: "up", Lag: i64(0), Memory: 3 << 20, MaxMemory: 64 << 20, Keys: 10240},
			{Name: "db2-7001", Host: "db2", Addr: "10.0.0.2:7001", Partition: 1, Role: "master", State: "up",
				Since: checked.Add(-26 * time.Hour), Memory: 5 << 20, MaxMemory: 64 << 20, Keys: 20480},
			{Name: "db1-7001", Host: "db1", Addr: "10.0.0.1:7001", Partition: 1, Role: "replica", State: "up",
				Since: checked.Add(-26 * time.Hour), Master: "db2-7001", Link: "up", Lag: i64(1536), Memory: 5 << 20, MaxMemory: 64 << 20, Keys: 20470},
		},
		Backup: &status.Backup{ID: "20260304T030000Z", Time: checked.Add(-2 * time.Hour), OK: true, Duration: 1.25},
		Drift:  &report.Drift{Resources: []string{}},
	}
}

// degraded is healthy with a replica down and drift on a master.
func degraded() *report.Report {
	r := healthy()
	r.State, r.Source = status.Degraded, report.SourceProbe
	r.Nodes[1] = report.Node{Name: "db2-7000", Host: "db2", Addr: "10.0.0.2:7000", Partition: 0, State: "down",
		Since: checked.Add(-4 * time.Minute), Error: "dial tcp 10.0.0.2:7000: connect: connection refused"}
	r.Drift = &report.Drift{Items: 1, Resources: []string{"node.db1-7000"}, Changes: 2}
	r.Problems = []string{"node db2-7000 of partition 0 is down: dial tcp 10.0.0.2:7000: connect: connection refused"}
	return r
}

// halt is a cluster whose status nodes cannot be read and whose partition
// 1 has no master.
func halt() *report.Report {
	r := healthy()
	r.State, r.Source, r.Published, r.Backup, r.Drift = status.Halt, report.SourceProbe, nil, nil, nil
	r.Agreement = report.Agreement{Total: 3, Answered: 1, Agreeing: 1}
	r.StatusNodes[1] = report.StatusNode{Name: "st2", Addr: "10.0.0.2:7100", Error: "dial tcp 10.0.0.2:7100: connect: connection refused"}
	r.StatusNodes[2] = report.StatusNode{Name: "st3", Addr: "10.0.0.3:7100", Error: "context deadline exceeded"}
	r.Partitions[1] = report.Partition{Index: 1, Replicas: []string{"db2-7001", "db1-7001"}}
	r.Nodes[2] = report.Node{Name: "db2-7001", Host: "db2", Addr: "10.0.0.2:7001", Partition: 1, State: "down", Error: "dial tcp 10.0.0.2:7001: connect: connection refused"}
	r.Nodes[3] = report.Node{Name: "db1-7001", Host: "db1", Addr: "10.0.0.1:7001", Partition: 1, State: "loading", Role: "replica",
		Master: "10.0.0.2:7001", Link: "down", Memory: 1 << 20, Keys: 0}
	r.Problems = []string{
		"only 1 of 3 status nodes answered: clients cannot read the status and treat the cluster as HALT",
		"partition 1 has no master: no node of it is up as a master",
		"status node st2 (10.0.0.2:7100) did not answer with a status: dial tcp 10.0.0.2:7100: connect: connection refused",
		"status node st3 (10.0.0.3:7100) did not answer with a status: context deadline exceeded",
		"node db2-7001 of partition 1 is down: dial tcp 10.0.0.2:7001: connect: connection refused",
		"node db1-7001 of partition 1 is still loading its data",
	}
	return r
}

// undeclared is healthy with partition 1's master removed from roma.hcl,
// not yet applied: shown, as probed at its published address.
func undeclared() *report.Report {
	r := healthy()
	r.Nodes[2].Undeclared = true
	r.Problems = []string{"the published status names node db2-7001, which roma.hcl does not declare: it serves partition 1 until roma apply removes it"}
	return r
}

// stopped is degraded with its down node, and a status node, stopped on
// purpose by roma stop --host db2.
func stopped() *report.Report {
	r := degraded()
	rec := &status.Stopped{Command: "roma stop --host db2", Holder: "ops@bastion pid 7", Since: checked.Add(-4 * time.Minute)}
	r.Nodes[1].Stopped = rec
	r.StatusNodes[1] = report.StatusNode{Name: r.StatusNodes[1].Name, Addr: r.StatusNodes[1].Addr, Error: "dial tcp " + r.StatusNodes[1].Addr + ": connect: connection refused", Stopped: rec}
	r.Agreement.Answered, r.Agreement.Agreeing = 2, 2
	r.Drift = nil
	r.Problems = []string{
		"status node " + r.StatusNodes[1].Name + " (" + r.StatusNodes[1].Addr + ") was stopped " + rec.String() + ": roma start brings it back",
		"node db2-7000 of partition 0 was stopped " + rec.String() + ": roma start brings it back",
	}
	return r
}

var cases = map[string]func() *report.Report{"healthy": healthy, "degraded": degraded, "halt": halt, "undeclared": undeclared, "stopped": stopped}

// TestGolden renders every case in every format and compares the output
// with testdata/<case>.<format> (go test -update rewrites them).
func TestGolden(t *testing.T) {
	for name, mk := range cases {
		for _, f := range Formats {
			t.Run(name+"/"+f, func(t *testing.T) {
				var b bytes.Buffer
				if err := Render(&b, f, mk(), Options{}); err != nil {
					t.Fatal(err)
				}
				golden(t, filepath.Join("testdata", name+"."+f), b.Bytes())
			})
		}
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s (-want +got):\n%s", path, d)
	}
}

func TestSummaryIsOneLine(t *testing.T) {
	for name, mk := range cases {
		var b bytes.Buffer
		if err := Summary(&b, mk(), Options{Color: true}); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(b.String(), "\n"); n != 1 || !strings.HasSuffix(b.String(), "\n") {
			t.Errorf("%s: summary has %d lines:\n%s", name, n, b.String())
		}
		if !strings.HasPrefix(b.String(), "\x1b[1;") {
			t.Errorf("%s: summary with colour does not start with a coloured state: %q", name, b.String())
		}
	}
}

// TestListColourKeepsAlignment checks that colour codes do not shift the
// columns: stripped of them, the coloured list is the plain one.
func TestListColourKeepsAlignment(t *testing.T) {
	ansi := regexp.MustCompile("\x1b\\[[0-9;]*m")
	for name, mk := range cases {
		var plain, col bytes.Buffer
		_ = List(&plain, mk(), Options{})
		_ = List(&col, mk(), Options{Color: true})
		if col.String() == plain.String() {
			t.Errorf("%s: no colour", name)
		}
		if d := cmp.Diff(plain.String(), ansi.ReplaceAllString(col.String(), "")); d != "" {
			t.Errorf("%s: (-plain +coloured, stripped):\n%s", name, d)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	for name, mk := range cases {
		var b bytes.Buffer
		if err := JSON(&b, mk()); err != nil {
			t.Fatal(err)
		}
		var got struct {
			FormatVersion string `json:"format_version"`
			report.Report
		}
		if err := json.Unmarshal(b.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if got.FormatVersion != FormatVersion {
			t.Errorf("%s: format_version %q", name, got.FormatVersion)
		}
		if d := cmp.Diff(mk(), &got.Report); d != "" {
			t.Errorf("%s: (-rendered +decoded):\n%s", name, d)
		}
	}
}

// TestXMLValidates checks every case's XML against roma-status.xsd with
// xmllint, and that the embedded Schema is that file.
func TestXMLValidates(t *testing.T) {
	file, err := os.ReadFile("roma-status.xsd")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(file, Schema) {
		t.Fatal("Schema is not roma-status.xsd")
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := XML(&b, mk()); err != nil {
				t.Fatal(err)
			}
			viewtest.XMLLint(t, Schema, b.Bytes())
		})
	}
}

// TestXMLSchemaRejects makes sure the schema is not a rubber stamp.
func TestXMLSchemaRejects(t *testing.T) {
	viewtest.Need(t, "xmllint", "libxml2-utils")
	var b bytes.Buffer
	_ = XML(&b, healthy())
	bad := strings.Replace(b.String(), `state="OK"`, `state="FINE"`, 1)
	ft := &fakeT{TB: t}
	viewtest.XMLLint(ft, Schema, []byte(bad))
	if !ft.failed {
		t.Error("xmllint accepted a document with state=\"FINE\"")
	}
}

type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Errorf(string, ...any) { f.failed = true }

// TestHTMLInChromium renders each case's page in headless Chromium at a
// phone's size: each partition's master is in the rendered DOM, and the
// page is no wider than the phone.
func TestHTMLInChromium(t *testing.T) {
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			r := mk()
			var b bytes.Buffer
			if err := HTML(&b, r); err != nil {
				t.Fatal(err)
			}
			for _, u := range outside.FindAllString(b.String(), -1) {
				if u != "http://www.w3.org/2000/svg" {
					t.Errorf("the page refers to an outside address: %s", u)
				}
			}
			pg := viewtest.Render(t, b.Bytes(), viewtest.PhoneWidth, viewtest.PhoneHeight)
			dom := pg.DOM
			for _, p := range r.Partitions {
				m := p.Master
				if !p.Serving {
					m = ""
				}
				viewtest.CheckMaster(t, dom, p.Index, m)
			}
			if !strings.Contains(dom, `id="state">`+r.State+`<`) {
				t.Errorf("the rendered page does not show the state %s", r.State)
			}
			if pg.ScrollWidth > viewtest.PhoneWidth {
				t.Errorf("the page is %dpx wide, wider than a %dpx phone", pg.ScrollWidth, viewtest.PhoneWidth)
			}
		})
	}
}

func TestHTMLRefresh(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, healthy(), HTMLOptions{Refresh: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `<meta http-equiv="refresh" content="5">`) {
		t.Error("no refresh")
	}
}

func TestRenderUnknownFormat(t *testing.T) {
	if err := Render(&bytes.Buffer{}, "yaml", healthy(), Options{}); err == nil || !strings.Contains(err.Error(), "unknown format") {
		t.Errorf("err = %v", err)
	}
}
