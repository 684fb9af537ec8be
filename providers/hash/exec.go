package hash

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"strconv"
	"time"
)

// DefaultExecTimeout bounds one run of an exec program when Exec.Timeout
// is zero.
const DefaultExecTimeout = 5 * time.Second

// Errors an exec program's run can wrap; test them with errors.Is.
var (
	// ErrProgramNotFound: the program does not exist or is not executable.
	ErrProgramNotFound = errors.New("not found or not executable")
	// ErrBadAnswer: the program exited 0 but its output is not a number
	// in [0, n).
	ErrBadAnswer = errors.New("bad answer")
	// ErrTimeout: the program gave no answer in time and was killed.
	ErrTimeout = errors.New("timed out")
)

// Exec is the "exec:PROGRAM" function: for each key it runs PROGRAM with two
// arguments, the whole key (hash tags are the program's business) and n in
// decimal, and reads the partition from its standard output. See
// docs/hash.md for the protocol.
type Exec struct {
	Program string        // path, or a name looked up in $PATH
	Timeout time.Duration // per run; DefaultExecTimeout when zero
}

// ExecError is a failed run of an exec program for one key.
type ExecError struct {
	Program string
	Key     []byte
	Err     error
}

func (e *ExecError) Error() string {
	return fmt.Sprintf("hash program %s, key %q: %v", e.Program, e.Key, e.Err)
}

func (e *ExecError) Unwrap() error { return e.Err }

func newExecFactory(arg string) (Func, error) {
	if _, err := exec.LookPath(arg); err != nil {
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			return nil, fmt.Errorf("hash program %s: %w", arg, ErrProgramNotFound)
		}
		return nil, fmt.Errorf("hash program %s: %w", arg, err)
	}
	return &Exec{Program: arg}, nil
}

func execCheck(arg string) error {
	if arg == "" {
		return errors.New(`hash function "exec:" needs a program: "exec:/path/to/program"`)
	}
	return nil
}

// Partition runs the program once for key, within e.Timeout.
func (e *Exec) Partition(key []byte, n int) (int, error) {
	return e.PartitionContext(context.Background(), key, n)
}

// maxAnswer bounds how much of the program's standard output is kept.
const maxAnswer = 1024

// PartitionContext is Partition, also stopped (and the program killed)
// when ctx is done.
func (e *Exec) PartitionContext(ctx context.Context, key []byte, n int) (int, error) {
	if err := checkN(n); err != nil {
		return 0, err
	}
	fail := func(err error) (int, error) {
		return 0, &ExecError{Program: e.Program, Key: key, Err: err}
	}
	if bytes.IndexByte(key, 0) >= 0 {
		return fail(errors.New("the key holds a NUL byte, which a program argument cannot"))
	}
	timeout := e.Timeout
	if timeout <= 0 {
		timeout = DefaultExecTimeout
	}
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	cmd := exec.CommandContext(runCtx, e.Program, string(key), strconv.Itoa(n))
	var stdout, stderr capped
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	killGroup(cmd)
	cmd.WaitDelay = time.Second // a grandchild holding the pipes open cannot stall us

	err := cmd.Run()
	switch {
	case runCtx.Err() == context.DeadlineExceeded && ctx.Err() == nil:
		return fail(fmt.Errorf("%w: no answer within %s, killed", ErrTimeout, timeout))
	case ctx.Err() != nil:
		return fail(ctx.Err())
	case err != nil:
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
				return fail(ErrProgramNotFound)
			}
			return fail(err)
		}
		if line := stderr.firstLine(); line != "" {
			return fail(fmt.Errorf("%v: %s", exit, line))
		}
		return fail(exit)
	}
	return parseAnswer(stdout, n, fail)
}

func parseAnswer(out capped, n int, fail func(error) (int, error)) (int, error) {
	ans := string(bytes.TrimSpace(out.buf))
	if out.over {
		return fail(fmt.Errorf("%w: more than %d bytes of output", ErrBadAnswer, maxAnswer))
	}
	if ans == "" {
		return fail(fmt.Errorf("%w: no output", ErrBadAnswer))
	}
	p, err := strconv.Atoi(ans)
	if err != nil || ans[0] == '+' {
		if len(ans) > 40 {
			ans = ans[:40] + "..."
		}
		return fail(fmt.Errorf("%w: %q is not a partition number", ErrBadAnswer, ans))
	}
	if p < 0 || p >= n {
		return fail(fmt.Errorf("%w: %d is outside partitions 0..%d", ErrBadAnswer, p, n-1))
	}
	return p, nil
}

// capped keeps the first maxAnswer bytes written to it and swallows the
// rest, so a chatty program never blocks on a full pipe.
type capped struct {
	buf  []byte
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	n := len(p)
	room := maxAnswer - len(c.buf)
	if len(p) > room {
		c.over = true
		p = p[:max(room, 0)]
	}
	c.buf = append(c.buf, p...)
	return n, nil
}

func (c *capped) firstLine() string {
	line, _, _ := bytes.Cut(bytes.TrimSpace(c.buf), []byte("\n"))
	return string(bytes.TrimSpace(line))
}
