package service

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/roma-redis/roma/remote"
)

// proc is what a host's pidfile and /proc said about a service's process,
// as gathered by one probe command.
type proc struct {
	HasPidfile bool   // the pidfile exists
	PidText    string // the pidfile's first line, or the pid probed
	Pid        int    // PidText as a number; 0 when it is not one
	Exists     bool   // /proc/PID exists
	State      string // the one-letter state from /proc/PID/stat: R, S, Z, ...
	Comm       string // the command name from /proc/PID/stat
	Exe        string // where /proc/PID/exe points, without " (deleted)"
	Cmd        string // the first argument in /proc/PID/cmdline
}

// alive reports whether the process exists and has not exited. A zombie
// (exited, not yet reaped by its parent) is not alive.
func (p proc) alive() bool {
	return p.Exists && p.State != "Z" && p.State != "X"
}

// is reports whether the process is program: the base name of its
// executable or of its first command-line word is program's. (Redis
// rewrites its command line to "redis-server 127.0.0.1:7000", keeping the
// program first, so the conf path cannot be matched.)
func (p proc) is(program string) bool {
	names := []string{p.Exe, p.Cmd}
	if f := strings.Fields(p.Cmd); len(f) > 1 {
		names = append(names, f[0])
	}
	for _, name := range names {
		if name != "" && path.Base(name) == program {
			return true
		}
	}
	if p.Exe == "" && p.Cmd == "" { // unreadable: the kernel's name, cut to 15 bytes
		return p.Comm != "" && p.Comm == program[:min(len(program), 15)]
	}
	return false
}

// name is how the process calls itself, for messages.
func (p proc) name() string {
	if f := strings.Fields(p.Cmd); len(f) > 0 {
		return path.Base(f[0])
	}
	if p.Exe != "" {
		return path.Base(p.Exe)
	}
	if p.Comm != "" {
		return p.Comm
	}
	return "an unknown program"
}

// runs reports whether the process is alive and is program.
func (p proc) runs(program string) bool { return p.alive() && p.is(program) }

// describe says, for State.Detail, what the probe found for program.
func (p proc) describe(program string) string {
	switch {
	case !p.HasPidfile:
		return "stopped"
	case p.Pid == 0:
		return fmt.Sprintf("stale pidfile: %q is not a pid", p.PidText)
	case !p.Exists:
		return fmt.Sprintf("stale pidfile: pid %d is not running", p.Pid)
	case !p.alive():
		return fmt.Sprintf("stale pidfile: pid %d has exited", p.Pid)
	case !p.is(program):
		return fmt.Sprintf("stale pidfile: pid %d is %s, not %s", p.Pid, p.name(), program)
	}
	return fmt.Sprintf("running (pid %d)", p.Pid)
}

// probeScript is a shell script that prints what probe parses: the pid from
// pidfile when pid is 0, else pid itself, and what /proc says about it.
// Each line is "key=value"; a value never holds a newline.
func probeScript(pidfile string, pid int) string {
	var b strings.Builder
	if pid == 0 {
		fmt.Fprintf(&b, "f=%s\n", remote.ShellQuote(pidfile))
		b.WriteString(`[ -e "$f" ] || exit 0
p=$(head -n 1 "$f" 2>/dev/null | head -c 32 | tr -d '\r')
echo "pidfile=$p"
`)
	} else {
		fmt.Fprintf(&b, "p=%d\necho \"pid=$p\"\n", pid)
	}
	b.WriteString(procScript)
	return b.String()
}

// procScript prints what /proc says about the pid in $p.
const procScript = `case $p in ''|*[!0-9]*) exit 0;; esac
s=$(tr '\n' ' ' < "/proc/$p/stat" 2>/dev/null) || exit 0
echo "stat=$s"
echo "exe=$(readlink "/proc/$p/exe" 2>/dev/null)"
echo "cmd=$(head -c 1024 "/proc/$p/cmdline" 2>/dev/null | tr '\0\n' '\n ' | head -n 1)"
`

// logPidScript is a shell script that prints what probe parses about the
// process that wrote the last Redis log line of file past byte offset:
// Redis starts each line with its pid and role ("4242:M 27 Nov ..."). Only
// lines from the banner on count ("oO0OoO0OoO0Oo Redis is starting"), which
// a daemonized Redis logs once it has forked: a line before it is the
// parent's, which exits at the fork. It prints nothing when the file did
// not grow past offset or holds no such line.
func logPidScript(file string, offset int64) string {
	return fmt.Sprintf("f=%s\n[ -f \"$f\" ] && [ \"$(wc -c < \"$f\")\" -gt %d ] || exit 0\n", remote.ShellQuote(file), offset) +
		fmt.Sprintf("p=$(tail -c +%d \"$f\" | sed -n '/oO0OoO0OoO0Oo/,$p' | grep -E '^[0-9]+:[XCSM] ' | tail -n 1 | cut -d: -f1)\n", offset+1) +
		"echo \"pid=$p\"\n" + procScript
}

// probe runs probeScript on t and parses its output.
func probe(ctx context.Context, t remote.Transport, pidfile string, pid int) (proc, error) {
	out, err := remote.Output(ctx, t, probeScript(pidfile, pid))
	if err != nil {
		return proc{}, err
	}
	return parseProbe(out), nil
}

// probeLog runs logPidScript on t and parses its output: Pid is 0 when no
// Redis line was logged past offset.
func probeLog(ctx context.Context, t remote.Transport, file string, offset int64) (proc, error) {
	out, err := remote.Output(ctx, t, logPidScript(file, offset))
	if err != nil {
		return proc{}, err
	}
	return parseProbe(out), nil
}

// parseProbe reads probeScript's output.
func parseProbe(out []byte) proc {
	var p proc
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		key, value, _ := strings.Cut(sc.Text(), "=")
		switch key {
		case "pidfile", "pid":
			p.HasPidfile = p.HasPidfile || key == "pidfile"
			p.PidText = value
			if n, err := strconv.Atoi(value); err == nil && n > 0 {
				p.Pid = n
			}
		case "stat":
			p.Exists = true
			p.Comm, p.State = parseStat(value)
		case "exe":
			p.Exe = strings.TrimSuffix(value, " (deleted)")
		case "cmd":
			p.Cmd = value
		}
	}
	return p
}

// parseStat returns the command name and the state from a /proc/PID/stat
// line: "4242 (redis-server) S 1 ...". The name may itself hold spaces
// and parentheses, so the state is found after the last ')'.
func parseStat(s string) (comm, state string) {
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return "", ""
	}
	comm = s[open+1 : end]
	if f := strings.Fields(s[end+1:]); len(f) > 0 {
		state = f[0]
	}
	return comm, state
}
