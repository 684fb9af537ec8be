package remote

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"syscall"
	"time"
)

// Local is the Transport for this machine: commands run with sh -c, files
// are written directly. It needs no SSH and is what the "local" host
// transport uses.
type Local struct {
	name string
}

// NewLocal returns a Local transport that calls itself name in errors
// (for example "local" or the host's name in roma.hcl).
func NewLocal(name string) *Local {
	if name == "" {
		name = "local"
	}
	return &Local{name: name}
}

// Name returns the host name given to NewLocal.
func (l *Local) Name() string { return l.name }

// Close does nothing: a Local transport holds no resources.
func (l *Local) Close() error { return nil }

// Run runs cmd with sh -c in its own process group, so that cancelling ctx
// kills the command and everything it started.
func (l *Local) Run(ctx context.Context, cmd string, opts ...RunOption) (Result, error) {
	o := collectRunOptions(opts)
	c := exec.CommandContext(ctx, "/bin/sh", "-c", cmd)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error {
		return syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
	}
	// A background child holding stdout open must not hold Run up.
	c.WaitDelay = 2 * time.Second
	var stdout, stderr bytes.Buffer
	c.Stdin, c.Stdout, c.Stderr = o.stdin, &stdout, &stderr
	err := c.Run()
	res := Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	if err := ctx.Err(); err != nil {
		return res, wrap(l.name, "run", quoteCmd(cmd), err)
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitCode()
		if res.ExitCode < 0 { // killed by a signal
			res.ExitCode = 128 + int(ee.Sys().(syscall.WaitStatus).Signal())
		}
		return res, nil
	case err != nil && !errors.Is(err, exec.ErrWaitDelay):
		return res, wrap(l.name, "run", quoteCmd(cmd), err)
	}
	return res, nil
}

// quoteCmd shortens a command for an error message.
func quoteCmd(cmd string) string {
	const max = 80
	if len(cmd) > max {
		cmd = cmd[:max] + "..."
	}
	return `"` + cmd + `"`
}
