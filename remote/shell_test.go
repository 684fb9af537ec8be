package remote

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestShellQuote(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"plain":        {"redis-server", "redis-server"},
		"path":         {"/var/lib/roma/conf/db1-7000.conf", "/var/lib/roma/conf/db1-7000.conf"},
		"flag":         {"--daemonize", "--daemonize"},
		"address":      {"127.0.0.1:7000", "127.0.0.1:7000"},
		"empty":        {"", "''"},
		"space":        {"my file", "'my file'"},
		"single quote": {"it's", `'it'\''s'`},
		"only quote":   {"'", `''\'''`},
		"dollar":       {"$HOME", "'$HOME'"},
		"backtick":     {"`id`", "'`id`'"},
		"glob":         {"*.conf", "'*.conf'"},
		"tilde":        {"~/x", "'~/x'"},
		"assignment":   {"A=1", "'A=1'"},
		"semicolon":    {"a;rm -rf /", "'a;rm -rf /'"},
		"newline":      {"a\nb", "'a\nb'"},
		"backslash":    {`a\b`, `'a\b'`},
		"unicode":      {"café", "'café'"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := ShellQuote(tt.in); got != tt.want {
				t.Errorf("ShellQuote(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

// awkward are arguments a shell would mangle unless quoted well.
var awkward = []string{
	"plain", "", " ", "two words", "it's", `"double"`, "$HOME", "${X:-y}", "`id`", "$(id)",
	"*", "?", "[a]", "~", "a;b", "a&b", "a|b", "a>b", "<", "#c", "\\", "\\'", "'\\''",
	"line\nbreak", "tab\there", "-n", "--", "A=1", "!", "café", "%s",
}

// printArgs runs script with /bin/sh and returns the NUL-separated
// words it prints.
func printArgs(t *testing.T, script string) []string {
	t.Helper()
	out, err := exec.Command("/bin/sh", "-c", script).Output()
	if err != nil {
		t.Fatalf("sh -c %q: %v", script, err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
}

// TestShellJoinRoundTrip checks with a real shell that every word arrives
// as it was.
func TestShellJoinRoundTrip(t *testing.T) {
	got := printArgs(t, `printf '%s\0' `+ShellJoin(awkward))
	if diff := cmp.Diff(awkward, got); diff != "" {
		t.Errorf("words after the shell (-want +got):\n%s", diff)
	}
}

// TestShellQuoteNested checks quoting inside quoting, as the process
// manager's launcher does: sh -c 'SCRIPT' argv...
func TestShellQuoteNested(t *testing.T) {
	inner := `printf '%s\0' ` + ShellQuote(awkward[4]) + ` "$0" "$@"`
	got := printArgs(t, "sh -c "+ShellQuote(inner)+" "+ShellJoin(awkward))
	want := append([]string{awkward[4]}, awkward...)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("words after two shells (-want +got):\n%s", diff)
	}
}
