package service

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/roma-redis/roma/remote"
)

// Defaults of the process manager's bounds.
const (
	DefaultStartTimeout = 10 * time.Second
	DefaultSettle       = 200 * time.Millisecond
	defaultPoll         = 50 * time.Millisecond
	// killTimeout bounds the wait for a process to vanish after SIGKILL.
	killTimeout = 10 * time.Second
	// termAgain is how often a stop sends SIGTERM again while it waits: a
	// process may refuse one for a while (Redis writing its first
	// append-only file: "Writing initial AOF, can't exit") and take the
	// next.
	termAgain = time.Second
)

// Process is the service manager for hosts without systemd: services run
// as daemons detached from the session that started them (their own
// session, stdin from /dev/null), each known by its pidfile. A pidfile
// counts only while it names a live process running the unit's program, so
// a pid recycled by another program reads as stopped. Nothing restarts a
// process that dies, and nothing starts it at boot.
//
// The zero value uses the default bounds.
type Process struct {
	// StartTimeout bounds how long Start waits for the pidfile to name a
	// live process; 0 means DefaultStartTimeout.
	StartTimeout time.Duration
	// Settle is how long a started process must stay alive for Start to
	// succeed, which catches a program that fails right after writing its
	// pidfile (Redis 7.2+ writes it before binding its port); 0 means
	// DefaultSettle.
	Settle time.Duration
	// Poll is the pause between looks at the host; 0 means 50ms.
	Poll time.Duration
}

// Name returns "process".
func (m *Process) Name() string { return "process" }

func (m *Process) startTimeout() time.Duration { return orDefault(m.StartTimeout, DefaultStartTimeout) }
func (m *Process) settle() time.Duration       { return orDefault(m.Settle, DefaultSettle) }
func (m *Process) poll() time.Duration         { return orDefault(m.Poll, defaultPoll) }

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// check adds the process manager's own needs to Unit.check.
func (m *Process) check(u Unit) error {
	if err := u.check(); err != nil {
		return err
	}
	if u.PidFile == "" {
		return fmt.Errorf("service %q: the process manager needs a pidfile", u.Name)
	}
	return nil
}

// Status reads u's pidfile and checks the process it names.
func (m *Process) Status(ctx context.Context, t remote.Transport, u Unit) (State, error) {
	if err := m.check(u); err != nil {
		return State{}, err
	}
	p, err := probe(ctx, t, u.PidFile, 0)
	if err != nil {
		return State{}, wrapErr(t.Name(), "status", u, err)
	}
	s := State{Installed: true, UpToDate: true, Detail: p.describe(u.program())}
	if p.runs(u.program()) {
		s.Running, s.Pid = true, p.Pid
	}
	return s, nil
}

// Install does nothing: the process manager needs no setup.
func (m *Process) Install(ctx context.Context, t remote.Transport, u Unit) (bool, error) {
	return false, m.check(u)
}

// Uninstall stops u; a process stopped or a stale pidfile removed is a
// change.
func (m *Process) Uninstall(ctx context.Context, t remote.Transport, u Unit) (bool, error) {
	if err := m.check(u); err != nil {
		return false, err
	}
	changed, err := m.stop(ctx, t, u)
	return changed, wrapErr(t.Name(), "uninstall", u, err)
}

// Start launches u unless its pidfile names it running, and waits until
// it does (and still does a moment later), at most StartTimeout.
func (m *Process) Start(ctx context.Context, t remote.Transport, u Unit) error {
	if err := m.check(u); err != nil {
		return err
	}
	return wrapErr(t.Name(), "start", u, m.start(ctx, t, u))
}

// Stop stops u: SIGTERM, then SIGKILL after u's StopTimeout. It removes a
// pidfile left behind.
func (m *Process) Stop(ctx context.Context, t remote.Transport, u Unit) error {
	if err := m.check(u); err != nil {
		return err
	}
	_, err := m.stop(ctx, t, u)
	return wrapErr(t.Name(), "stop", u, err)
}

// Restart stops u if it runs and starts it again.
func (m *Process) Restart(ctx context.Context, t remote.Transport, u Unit) error {
	if err := m.check(u); err != nil {
		return err
	}
	if _, err := m.stop(ctx, t, u); err != nil {
		return wrapErr(t.Name(), "restart", u, err)
	}
	return wrapErr(t.Name(), "restart", u, m.start(ctx, t, u))
}

func (m *Process) start(ctx context.Context, t remote.Transport, u Unit) error {
	prog := u.program()
	p, err := probe(ctx, t, u.PidFile, 0)
	if err != nil {
		return err
	}
	if p.runs(prog) {
		return nil
	}
	l, err := launch(ctx, t, u, p.HasPidfile)
	if err != nil {
		return err
	}
	pid, err := m.waitRunning(ctx, t, u, l)
	if err != nil {
		return err
	}
	if err := sleep(ctx, m.settle()); err != nil {
		return err
	}
	if p, err = probe(ctx, t, "", pid); err != nil {
		return err
	}
	if !p.runs(prog) {
		return l.failed(ctx, fmt.Sprintf("%s (pid %d) exited right after starting", prog, pid))
	}
	return nil
}

// launched is a service launchScript started, with what is needed to
// explain its failure.
type launched struct {
	t       remote.Transport
	u       Unit
	stderr  []byte // the launch script's standard error
	logFrom int64  // the log's size before the launch
}

// failed returns a StartError for reason, quoting what the service said.
func (l launched) failed(ctx context.Context, reason string) error {
	return &StartError{
		Host:    l.t.Name(),
		Service: l.u.Name,
		Reason:  reason,
		Output:  append(lines(l.stderr), logTail(ctx, l.t, l.u.LogFile, l.logFrom)...),
	}
}

// launch runs launchScript. A script that fails is a StartError.
func launch(ctx context.Context, t remote.Transport, u Unit, removePidfile bool) (launched, error) {
	res, err := t.Run(ctx, launchScript(u, removePidfile))
	if err != nil {
		return launched{}, err
	}
	l := launched{t: t, u: u, stderr: res.Stderr, logFrom: parseLogSize(res.Stdout)}
	switch {
	case res.ExitCode == 0:
		return l, nil
	case !bytes.Contains(res.Stdout, []byte(launchedMark)):
		return l, l.failed(ctx, fmt.Sprintf("could not launch %s (status %d)", u.program(), res.ExitCode))
	case res.ExitCode == 126 || res.ExitCode == 127:
		return l, l.failed(ctx, fmt.Sprintf("cannot run %s (status %d)", u.Argv[0], res.ExitCode))
	}
	return l, l.failed(ctx, fmt.Sprintf("%s exited with status %d", u.program(), res.ExitCode))
}

// waitRunning waits, at most StartTimeout, until u's pidfile names a live
// process of its program, and returns its pid.
func (m *Process) waitRunning(ctx context.Context, t remote.Transport, u Unit, l launched) (int, error) {
	prog := u.program()
	start := time.Now()
	deadline := start.Add(m.startTimeout())
	for {
		p, err := probe(ctx, t, u.PidFile, 0)
		switch {
		case err != nil:
			return 0, err
		case p.runs(prog):
			return p.Pid, nil
		case p.Pid != 0 && !p.alive(): // it wrote its pidfile and died
			return 0, l.failed(ctx, fmt.Sprintf("%s (pid %d) exited right after starting", prog, p.Pid))
		case time.Now().After(deadline) && !p.HasPidfile:
			return 0, l.failed(ctx, fmt.Sprintf("%s wrote no pidfile (%s) within %s", prog, u.PidFile, m.startTimeout()))
		case time.Now().After(deadline):
			return 0, l.failed(ctx, fmt.Sprintf("no %s running within %s: %s", prog, m.startTimeout(), p.describe(prog)))
		case !p.HasPidfile && u.Kind == KindRedis && u.LogFile != "" && time.Since(start) > m.settle():
			// Redis before 7.2 writes its pidfile once it listens: one
			// that could not (its port taken) left none, only its log.
			lp, err := probeLog(ctx, t, u.LogFile, l.logFrom)
			if err != nil {
				return 0, err
			}
			if lp.Pid != 0 && !lp.alive() {
				return 0, l.failed(ctx, fmt.Sprintf("%s (pid %d) exited before writing its pidfile", prog, lp.Pid))
			}
		}
		if err := sleep(ctx, m.poll()); err != nil {
			return 0, err
		}
	}
}

// launchedMark is what launchScript prints once set-up is done and the
// program is about to run.
const launchedMark = "launching"

// launchScript is the shell script that starts u in the background: it
// makes u's directories, removes a stale pidfile, prints the log's size
// (see logSizeScript) and launches the program detached from the session.
// A redis-server daemonizes itself once its conf is read, so its own
// errors up to then reach the script's standard error; any other program
// runs under setsid with a shell that writes the pidfile, atomically,
// before becoming the program.
func launchScript(u Unit, removePidfile bool) string {
	var b strings.Builder
	b.WriteString("set -e\n")
	dirs := []string{path.Dir(u.PidFile)}
	if u.LogFile != "" {
		dirs = append(dirs, path.Dir(u.LogFile))
	}
	if u.Dir != "" {
		dirs = append(dirs, u.Dir)
	}
	b.WriteString("mkdir -p -- " + remote.ShellJoin(dirs) + "\n")
	if removePidfile {
		b.WriteString("rm -f -- " + remote.ShellQuote(u.PidFile) + "\n")
	}
	b.WriteString(logSizeScript(u.LogFile))
	if u.Dir != "" {
		b.WriteString("cd -- " + remote.ShellQuote(u.Dir) + "\n")
	}
	b.WriteString("echo " + launchedMark + "\n")
	switch u.Kind {
	case KindRedis:
		argv := append(append([]string{}, u.Argv...), "--daemonize", "yes", "--pidfile", u.PidFile)
		b.WriteString("exec " + remote.ShellJoin(argv) + " </dev/null >&2\n")
	default:
		tmp := u.PidFile + ".tmp"
		inner := fmt.Sprintf(`echo $$ > %s && mv -f -- %s %s && exec "$0" "$@"`,
			remote.ShellQuote(tmp), remote.ShellQuote(tmp), remote.ShellQuote(u.PidFile))
		out := "/dev/null"
		if u.LogFile != "" {
			out = u.LogFile
		}
		fmt.Fprintf(&b, "setsid sh -c %s %s </dev/null >>%s 2>&1 &\n", remote.ShellQuote(inner), remote.ShellJoin(u.Argv), remote.ShellQuote(out))
	}
	return b.String()
}

// stop stops u's process if it runs and removes a pidfile left behind,
// saying whether it changed anything.
func (m *Process) stop(ctx context.Context, t remote.Transport, u Unit) (bool, error) {
	prog := u.program()
	p, err := probe(ctx, t, u.PidFile, 0)
	if err != nil {
		return false, err
	}
	if !p.runs(prog) {
		if !p.HasPidfile {
			return false, nil
		}
		return true, removePidfile(ctx, t, u.PidFile, p.PidText)
	}
	if err := sendSignal(ctx, t, p.Pid, "TERM"); err != nil {
		return false, err
	}
	gone, err := m.waitGone(ctx, t, p.Pid, prog, u.stopTimeout(), "TERM")
	if err != nil {
		return false, err
	}
	if !gone {
		if err := sendSignal(ctx, t, p.Pid, "KILL"); err != nil {
			return false, err
		}
		if gone, err = m.waitGone(ctx, t, p.Pid, prog, killTimeout, ""); err != nil {
			return false, err
		}
		if !gone {
			return false, fmt.Errorf("%s (pid %d) is still running %s after SIGKILL", prog, p.Pid, killTimeout)
		}
	}
	return true, removePidfile(ctx, t, u.PidFile, p.PidText)
}

// waitGone waits, at most timeout, until pid no longer runs prog, and
// says whether it is gone; it sends signal again (unless "") every
// termAgain meanwhile.
func (m *Process) waitGone(ctx context.Context, t remote.Transport, pid int, prog string, timeout time.Duration, again string) (bool, error) {
	deadline := time.Now().Add(timeout)
	next := time.Now().Add(termAgain)
	for {
		p, err := probe(ctx, t, "", pid)
		if err != nil {
			return false, err
		}
		if !p.runs(prog) {
			return true, nil
		}
		if time.Now().After(deadline) {
			return false, nil
		}
		if again != "" && time.Now().After(next) { // just seen running prog: the pid is still its
			if err := sendSignal(ctx, t, pid, again); err != nil {
				return false, err
			}
			next = time.Now().Add(termAgain)
		}
		if err := sleep(ctx, m.poll()); err != nil {
			return false, err
		}
	}
}

// sendSignal sends SIG (TERM, KILL) to pid. A process that is already gone is
// not an error: kill's failure is ignored, and the caller looks again.
func sendSignal(ctx context.Context, t remote.Transport, pid int, sig string) error {
	_, err := t.Run(ctx, fmt.Sprintf("kill -%s %d", sig, pid))
	return err
}

// removePidfile removes pidfile if its first line is still pidText, so
// that a pidfile a new instance wrote meanwhile stays.
func removePidfile(ctx context.Context, t remote.Transport, pidfile, pidText string) error {
	f := remote.ShellQuote(pidfile)
	_, err := remote.Output(ctx, t, fmt.Sprintf(
		"if [ \"$(head -n 1 %s 2>/dev/null | head -c 32 | tr -d '\\r')\" = %s ]; then rm -f -- %s; fi",
		f, remote.ShellQuote(pidText), f))
	return err
}

// sleep pauses for d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

var _ Manager = (*Process)(nil)
