package alert

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFold(t *testing.T) {
	long := "Subject: " + strings.Repeat("word ", 20) + "end"
	tests := map[string]struct{ in, want string }{
		"short":            {"Subject: hello", "Subject: hello\r\n"},
		"spaces kept":      {"Subject: a  b ", "Subject: a  b \r\n"},
		"folded at 78":     {long, "Subject: " + strings.TrimSpace(strings.Repeat("word ", 14)) + "\r\n " + strings.TrimSpace(strings.Repeat("word ", 6)) + " end\r\n"},
		"one long word":    {"Subject: " + strings.Repeat("x", 90), "Subject: " + strings.Repeat("x", 90) + "\r\n"},
		"never after name": {"Subject: " + strings.Repeat("y", 75) + " z", "Subject: " + strings.Repeat("y", 75) + "\r\n z\r\n"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := fold(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("fold (-want +got):\n%s", diff)
			}
			if unfolded := strings.ReplaceAll(strings.TrimSuffix(got, "\r\n"), "\r\n", ""); unfolded != tt.in {
				t.Errorf("unfolds to %q, want %q", unfolded, tt.in)
			}
		})
	}
}

func TestOneLine(t *testing.T) {
	got := oneLine("halt\r\nBcc: victim@example.com\nmore")
	if want := "halt Bcc: victim@example.com more"; got != want {
		t.Errorf("oneLine = %q, want %q", got, want)
	}
}
