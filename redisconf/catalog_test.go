package redisconf

import (
	"slices"
	"testing"
)

// fileOnly are the directives that may appear only in a redis.conf file:
// CONFIG GET does not show them and CONFIG SET refuses them.
var fileOnly = []string{"include", "loadmodule", "rename-command", "user"}

func TestCatalogConsistent(t *testing.T) {
	all := All()
	if !slices.IsSorted(all) || len(slices.Compact(slices.Clone(all))) != len(all) {
		t.Errorf("All() is not sorted and unique: %v", all)
	}
	for n := range runtime {
		if restartOnly[n] {
			t.Errorf("%q is both runtime and restart-only", n)
		}
	}
	tests := map[string]struct {
		names []string
		want  func(string) bool
	}{
		"managed directives are known": {names: keys(managed), want: Known},
		"multi-valued are known":       {names: []string{"save", "rename-command", "client-output-buffer-limit", "loadmodule", "user", "include"}, want: Known},
		"file-only need a restart":     {names: fileOnly, want: func(n string) bool { return Known(n) && !Runtime(n) }},
		"watched settings are known":   {names: keys(Watched), want: Known},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			for _, n := range tt.names {
				if !tt.want(n) {
					t.Errorf("%q fails", n)
				}
			}
		})
	}
	for _, n := range []string{"save", "client-output-buffer-limit", "user"} {
		if !MultiValued(n) {
			t.Errorf("MultiValued(%q) = false", n)
		}
	}
	for _, n := range []string{"maxmemory", "port", "no-such-directive"} {
		if MultiValued(n) {
			t.Errorf("MultiValued(%q) = true", n)
		}
	}
	if Known("no-such-directive") || Known("MAXMEMORY") {
		t.Error("Known accepts a name Redis does not have (names are lower case)")
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
