package service

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/roma-redis/roma/remote"
)

// DefaultUnitDir is where the systemd manager writes unit files.
const DefaultUnitDir = "/etc/systemd/system"

// ErrNoSystemd means a host declared with service = "systemd" is not
// running systemd (or has no systemctl). Retrying cannot help; declaring
// service = "process" can.
var ErrNoSystemd = errors.New("systemd is not running on this host")

// noSystemdStatus is the exit status systemdGuard gives on a host without
// systemd.
const noSystemdStatus = 90

// systemdGuard starts every script the systemd manager runs: it fails with
// noSystemdStatus where systemd is not the init system (the test sd_booted
// makes) or systemctl is missing.
var systemdGuard = fmt.Sprintf("[ -d /run/systemd/system ] && command -v systemctl >/dev/null || exit %d\n", noSystemdStatus)

// Systemd is the service manager for hosts that run systemd: each service
// is a unit, /etc/systemd/system/roma-<cluster>-<name>.service, written by
// roma (see RenderUnit), enabled, and started and stopped with systemctl.
// The commands need the privileges systemctl needs (root).
//
// The zero value writes units to DefaultUnitDir.
type Systemd struct {
	// UnitDir is where unit files go; empty means DefaultUnitDir.
	UnitDir string
}

// Name returns "systemd".
func (m *Systemd) Name() string { return "systemd" }

// UnitPath returns where u's unit file lives on the host.
func (m *Systemd) UnitPath(u Unit) string {
	dir := m.UnitDir
	if dir == "" {
		dir = DefaultUnitDir
	}
	return path.Join(dir, UnitName(u))
}

// unitProps are the properties Status asks systemctl show for.
const unitProps = "LoadState,ActiveState,SubState,Result,MainPID,UnitFileState,NeedDaemonReload"

// Status asks systemd about u's unit and compares its unit file with
// RenderUnit(u).
func (m *Systemd) Status(ctx context.Context, t remote.Transport, u Unit) (State, error) {
	if err := u.check(); err != nil {
		return State{}, err
	}
	out, err := m.run(ctx, t, "systemctl show --property="+unitProps+" "+remote.ShellQuote(UnitName(u)))
	if err != nil {
		return State{}, wrapErr(t.Name(), "status", u, err)
	}
	file, err := t.ReadFile(ctx, m.UnitPath(u))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return State{}, wrapErr(t.Name(), "status", u, err)
	}
	return unitState(parseProps(out), err == nil, bytes.Equal(file, RenderUnit(u))), nil
}

// parseProps reads systemctl show's "Key=Value" lines.
func parseProps(out []byte) map[string]string {
	props := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			props[k] = v
		}
	}
	return props
}

// unitState turns what systemd said, whether the unit file exists and
// whether it is what RenderUnit writes into a State.
func unitState(props map[string]string, exists, same bool) State {
	pid, _ := strconv.Atoi(props["MainPID"])
	s := State{
		Installed: exists,
		UpToDate:  exists && same && props["LoadState"] == "loaded" && props["NeedDaemonReload"] != "yes",
		Enabled:   props["UnitFileState"] == "enabled",
		Running:   pid > 0,
	}
	if s.Running {
		s.Pid = pid
	}
	active, sub := props["ActiveState"], props["SubState"]
	switch {
	case !exists && !s.Running:
		s.Detail = "not installed"
	case active == "failed":
		s.Detail = fmt.Sprintf("failed (%s)", props["Result"])
	case s.Running:
		s.Detail = fmt.Sprintf("%s (%s, pid %d)", active, sub, pid)
	default:
		s.Detail = fmt.Sprintf("%s (%s)", active, sub)
	}
	switch {
	case !exists:
	case !same:
		s.Detail += "; unit file differs from roma's"
	case !s.UpToDate:
		s.Detail += "; systemd has not loaded the current unit file"
	}
	return s
}

// Install writes u's unit file when it differs, reloads systemd if it did,
// and enables the unit.
func (m *Systemd) Install(ctx context.Context, t remote.Transport, u Unit) (bool, error) {
	if err := u.check(); err != nil {
		return false, err
	}
	changed, err := m.install(ctx, t, u)
	return changed, wrapErr(t.Name(), "install", u, err)
}

func (m *Systemd) install(ctx context.Context, t remote.Transport, u Unit) (bool, error) {
	want, file := RenderUnit(u), m.UnitPath(u)
	have, err := t.ReadFile(ctx, file)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	changed := err != nil || !bytes.Equal(have, want)
	var script strings.Builder
	script.WriteString("set -e\n")
	if changed {
		if err := t.WriteFile(ctx, file, want, 0o644); err != nil {
			return false, err
		}
		script.WriteString("systemctl daemon-reload\n")
	}
	name := remote.ShellQuote(UnitName(u))
	fmt.Fprintf(&script, "if ! systemctl is-enabled --quiet %s; then systemctl enable --quiet %s; echo enabled; fi\n", name, name)
	out, err := m.run(ctx, t, script.String())
	if err != nil {
		return false, err
	}
	return changed || bytes.Contains(out, []byte("enabled")), nil
}

// Uninstall stops and disables u's unit, removes its file and reloads
// systemd. Without a unit file there is nothing to do.
func (m *Systemd) Uninstall(ctx context.Context, t remote.Transport, u Unit) (bool, error) {
	if err := u.check(); err != nil {
		return false, err
	}
	file := m.UnitPath(u)
	if _, err := t.Stat(ctx, file); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, wrapErr(t.Name(), "uninstall", u, err)
	}
	name := remote.ShellQuote(UnitName(u))
	_, err := m.run(ctx, t, fmt.Sprintf("set -e\nsystemctl disable --now --quiet %s\nrm -f -- %s\nsystemctl daemon-reload\nsystemctl reset-failed %s 2>/dev/null || true\n",
		name, remote.ShellQuote(file), name))
	return err == nil, wrapErr(t.Name(), "uninstall", u, err)
}

// Start starts u's unit and returns once systemd says it started: for
// Redis, once it has loaded its dataset.
func (m *Systemd) Start(ctx context.Context, t remote.Transport, u Unit) error {
	return m.startOrRestart(ctx, t, u, "start")
}

// Restart restarts u's unit, or starts it if it is stopped.
func (m *Systemd) Restart(ctx context.Context, t remote.Transport, u Unit) error {
	return m.startOrRestart(ctx, t, u, "restart")
}

func (m *Systemd) startOrRestart(ctx context.Context, t remote.Transport, u Unit, verb string) error {
	if err := u.check(); err != nil {
		return err
	}
	name := UnitName(u)
	script := systemdGuard + logSizeScript(u.LogFile) + "echo since=$(date +%s)\n" +
		"systemctl " + verb + " " + remote.ShellQuote(name) + "\n"
	res, err := t.Run(ctx, script)
	if err == nil {
		err = noSystemd(res)
	}
	if err != nil {
		return wrapErr(t.Name(), verb, u, err)
	}
	if res.ExitCode == 0 {
		return nil
	}
	props := parseProps(res.Stdout)
	journal, _ := remote.Output(ctx, t, fmt.Sprintf("journalctl --unit=%s --since=@%s --lines=%d --output=cat --no-pager 2>/dev/null || true",
		remote.ShellQuote(name), remote.ShellQuote(props["since"]), tailLines))
	output := append(lines(journal), logTail(ctx, t, u.LogFile, parseLogSize(res.Stdout))...)
	if len(output) == 0 {
		output = lines(res.Stderr)
	}
	return &StartError{
		Host:    t.Name(),
		Service: u.Name,
		Reason:  fmt.Sprintf("systemctl %s %s failed (status %d)", verb, name, res.ExitCode),
		Output:  output,
	}
}

// Stop stops u's unit; systemd sends SIGTERM, then SIGKILL after the unit's
// TimeoutStopSec (u's StopTimeout). A unit systemd does not know is
// stopped already.
func (m *Systemd) Stop(ctx context.Context, t remote.Transport, u Unit) error {
	if err := u.check(); err != nil {
		return err
	}
	// systemctl stop exits 5 for a unit that is not loaded.
	_, err := m.run(ctx, t, "systemctl stop "+remote.ShellQuote(UnitName(u))+" || { s=$?; [ $s -eq 5 ] || exit $s; }")
	return wrapErr(t.Name(), "stop", u, err)
}

// run runs script on t after systemdGuard. A non-zero exit status is an
// error, ErrNoSystemd when the guard failed.
func (m *Systemd) run(ctx context.Context, t remote.Transport, script string) ([]byte, error) {
	res, err := t.Run(ctx, systemdGuard+script)
	if err != nil {
		return nil, err
	}
	if err := noSystemd(res); err != nil {
		return nil, err
	}
	if err := res.Err(); err != nil {
		return nil, err
	}
	return res.Stdout, nil
}

// noSystemd returns ErrNoSystemd when res is systemdGuard's failure.
func noSystemd(res remote.Result) error {
	if res.ExitCode == noSystemdStatus {
		return ErrNoSystemd
	}
	return nil
}

var _ Manager = (*Systemd)(nil)
