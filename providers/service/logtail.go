package service

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/roma-redis/roma/remote"
)

// tailLines is how many lines of a failed service's output an error quotes.
const tailLines = 20

// logSizeScript prints "logsize=N", the size of file in bytes (0 when it
// is missing), so that a failed start can quote only what it added.
func logSizeScript(file string) string {
	if file == "" {
		return "echo logsize=0\n"
	}
	q := remote.ShellQuote(file)
	return fmt.Sprintf("s=0; [ -f %s ] && s=$(wc -c < %s); echo \"logsize=$s\"\n", q, q)
}

// parseLogSize finds logSizeScript's answer in out; 0 when it is missing.
func parseLogSize(out []byte) int64 {
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "logsize="); ok {
			var n int64
			fmt.Sscan(strings.TrimSpace(v), &n)
			return n
		}
	}
	return 0
}

// tailScript prints the last n lines file gained past byte offset, or the
// last n lines of all of it when it shrank (rotated or truncated) below
// offset.
func tailScript(file string, offset int64, n int) string {
	q := remote.ShellQuote(file)
	return fmt.Sprintf("[ -f %[1]s ] || exit 0\n"+
		"o=%[2]d; [ \"$(wc -c < %[1]s)\" -lt \"$o\" ] && o=0\n"+
		"tail -c +$((o + 1)) %[1]s | tail -n %[3]d\n", q, offset, n)
}

// logTail returns the last lines file on t gained past offset. It is best
// effort: failing to read the log must not hide the failure being
// explained, so errors give no lines.
func logTail(ctx context.Context, t remote.Transport, file string, offset int64) []string {
	if file == "" {
		return nil
	}
	out, err := remote.Output(ctx, t, tailScript(file, offset, tailLines))
	if err != nil {
		return nil
	}
	return lines(out)
}

// lines splits out into its non-blank lines, trimmed of trailing space,
// keeping the last tailLines.
func lines(out []byte) []string {
	var ls []string
	for _, l := range strings.Split(string(bytes.TrimSpace(out)), "\n") {
		if l = strings.TrimRight(l, " \t\r"); l != "" {
			ls = append(ls, l)
		}
	}
	if len(ls) > tailLines {
		ls = ls[len(ls)-tailLines:]
	}
	return ls
}
