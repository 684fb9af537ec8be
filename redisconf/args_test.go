package redisconf

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitArgs(t *testing.T) {
	tests := map[string]struct {
		line string
		want []string
		bad  bool
	}{
		"words":             {line: "  SET  k   v ", want: []string{"SET", "k", "v"}},
		"empty":             {line: "   ", want: nil},
		"double quotes":     {line: `SET k "two words"`, want: []string{"SET", "k", "two words"}},
		"escapes":           {line: `SET k "a\nb\t\"c\\ \x41\xzz"`, want: []string{"SET", "k", "a\nb\t\"c\\ Axzz"}},
		"single quotes":     {line: `SET k 'it\'s "raw" \n'`, want: []string{"SET", "k", `it's "raw" \n`}},
		"empty string":      {line: `SET k ""`, want: []string{"SET", "k", ""}},
		"joined":            {line: `GET a"b"`, want: []string{"GET", "ab"}},
		"unbalanced":        {line: `SET k "open`, bad: true},
		"quote then word":   {line: `SET k "a"b`, bad: true},
		"unbalanced single": {line: `SET k 'open`, bad: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := SplitArgs(tc.line)
			if tc.bad {
				if err == nil {
					t.Fatalf("SplitArgs(%q) = %q, want an error", tc.line, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}
