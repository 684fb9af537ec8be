package remote

import (
	"bytes"
	"context"
	"fmt"
	"strings"
)

// ExitError is a command that ran but exited with a non-zero status.
type ExitError struct {
	Code   int
	Stderr string // trimmed standard error, possibly shortened
}

// Error reads like "exit status 1: redis-server: bad config". It is one
// line: a multi-line standard error is joined with "; ".
func (e *ExitError) Error() string {
	msg := fmt.Sprintf("exit status %d", e.Code)
	if e.Stderr != "" {
		var lines []string
		for _, l := range strings.Split(e.Stderr, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
		msg += ": " + strings.Join(lines, "; ")
	}
	if e.Code == 127 {
		msg += ": command not found on the host: install it or fix its path"
	}
	return msg
}

// Is makes exit status 127 match ErrCommandNotFound.
func (e *ExitError) Is(target error) bool {
	return target == ErrCommandNotFound && e.Code == 127
}

// Err returns nil for a zero exit status and an *ExitError otherwise.
func (r Result) Err() error {
	if r.ExitCode == 0 {
		return nil
	}
	msg := string(bytes.TrimSpace(r.Stderr))
	const max = 512
	if len(msg) > max {
		msg = msg[:max] + "..."
	}
	return &ExitError{Code: r.ExitCode, Stderr: msg}
}

// Output runs cmd on t and returns its standard output. A non-zero exit
// status is an error naming the host and the command, matching
// ErrCommandNotFound when the shell could not find the command.
func Output(ctx context.Context, t Transport, cmd string, opts ...RunOption) ([]byte, error) {
	res, err := t.Run(ctx, cmd, opts...)
	if err != nil {
		return nil, err
	}
	if err := res.Err(); err != nil {
		return res.Stdout, &OpError{Host: t.Name(), Op: "run", Path: fmt.Sprintf("%q", cmd), Err: err}
	}
	return res.Stdout, nil
}
