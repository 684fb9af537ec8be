package hclspec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary source to the decoder: it must never panic, and
// a configuration it accepts must satisfy the model's basic invariants.
// The seed corpus is every fixture and example; `make fuzz` runs it.
func FuzzLoad(f *testing.F) {
	for _, pattern := range []string{"testdata/invalid/*.hcl", "../examples/*/*.hcl"} {
		files, _ := filepath.Glob(pattern)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(string(b))
			}
		}
	}
	f.Add(base)
	f.Fuzz(func(t *testing.T, src string) {
		cfg, diags := LoadSource([]byte(src), "fuzz.hcl", "/cfg", Options{Vars: []string{"redis_password=fuzz-password"}})
		var sb strings.Builder
		cfg.WriteDiagnostics(&sb, diags, false)
		_ = cfg.JSONDiagnostics(diags)
		if diags.HasErrors() {
			return
		}
		s := cfg.Spec
		if s.Partitions < 1 {
			t.Fatalf("accepted %d partitions", s.Partitions)
		}
		seen := map[int]bool{}
		for _, n := range s.Nodes {
			if n.Partition < 0 || n.Partition >= s.Partitions {
				t.Fatalf("accepted node %s in partition %d of %d", n.Name, n.Partition, s.Partitions)
			}
			if n.Port < 1 || n.Port > 65535 {
				t.Fatalf("accepted port %d", n.Port)
			}
			if _, ok := s.Host(n.Host); !ok {
				t.Fatalf("accepted node %s on unknown host %q", n.Name, n.Host)
			}
			seen[n.Partition] = true
		}
		if len(seen) != s.Partitions {
			t.Fatalf("accepted %d partitions with nodes in only %d", s.Partitions, len(seen))
		}
		if _, err := Format([]byte(src), "fuzz.hcl"); err != nil {
			t.Fatalf("valid source does not format: %v", err)
		}
	})
}
