package hclspec

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

var expectRE = regexp.MustCompile(`#\s*(ERROR|WARNING):\s*(.+?)\s*$`)

// TestInvalidFixtures loads every file in testdata/invalid and checks that
// it yields exactly the diagnostics its "# ERROR: <summary>" and
// "# WARNING: <summary>" comments expect, on those lines, all in one run.
func TestInvalidFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.hcl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want := expectations(t, path)
			cfg, diags := Load(path, Options{})
			if !diags.HasErrors() {
				t.Errorf("Load succeeded; every invalid fixture must fail")
			}
			got := summarize(diags)
			if d := cmp.Diff(want, got); d != "" {
				var sb strings.Builder
				cfg.WriteDiagnostics(&sb, diags, false)
				t.Errorf("diagnostics (-want +got):\n%s\nall diagnostics:\n%s", d, sb.String())
			}
		})
	}
}

// expectations reads "line: SEVERITY: summary" expectations from a fixture.
func expectations(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if m := expectRE.FindStringSubmatch(sc.Text()); m != nil {
			out = append(out, fmt.Sprintf("%d: %s: %s", line, m[1], m[2]))
		}
	}
	sort.Strings(out)
	return out
}

func summarize(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		sev := "ERROR"
		if d.Severity == hcl.DiagWarning {
			sev = "WARNING"
		}
		line := 0
		if d.Subject != nil {
			line = d.Subject.Start.Line
		}
		out = append(out, fmt.Sprintf("%d: %s: %s", line, sev, d.Summary))
	}
	sort.Strings(out)
	return out
}
