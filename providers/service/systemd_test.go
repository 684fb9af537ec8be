package service

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/remote"
)

// There is no systemd where the tests run, so these tests check the
// commands the systemd manager runs, against a fake host that answers them.

var (
	sdUnit = RedisUnit("shop", cluster.Layout{Root: "/var/lib/roma"}, "db1-7000")
	sdFile = "/etc/systemd/system/roma-shop-db1-7000.service"
	sdShow = "run systemctl show --property=LoadState,ActiveState,SubState,Result,MainPID,UnitFileState,NeedDaemonReload roma-shop-db1-7000.service"
)

func props(lines ...string) remote.Result {
	return remote.Result{Stdout: []byte(strings.Join(lines, "\n") + "\n")}
}

func TestSystemdStatus(t *testing.T) {
	current := map[string]string{sdFile: string(RenderUnit(sdUnit))}
	edited := map[string]string{sdFile: string(RenderUnit(sdUnit)) + "Nice=5\n"}
	tests := map[string]struct {
		files   map[string]string
		show    remote.Result
		want    State
		wantErr error
	}{
		"not installed": {
			show: props("LoadState=not-found", "ActiveState=inactive", "SubState=dead", "Result=success", "MainPID=0", "UnitFileState=", "NeedDaemonReload=no"),
			want: State{Detail: "not installed"},
		},
		"running": {
			files: current,
			show:  props("LoadState=loaded", "ActiveState=active", "SubState=running", "Result=success", "MainPID=4242", "UnitFileState=enabled", "NeedDaemonReload=no"),
			want:  State{Installed: true, UpToDate: true, Enabled: true, Running: true, Pid: 4242, Detail: "active (running, pid 4242)"},
		},
		"loading its dataset": {
			files: current,
			show:  props("LoadState=loaded", "ActiveState=activating", "SubState=start", "Result=success", "MainPID=4242", "UnitFileState=enabled", "NeedDaemonReload=no"),
			want:  State{Installed: true, UpToDate: true, Enabled: true, Running: true, Pid: 4242, Detail: "activating (start, pid 4242)"},
		},
		"stopped": {
			files: current,
			show:  props("LoadState=loaded", "ActiveState=inactive", "SubState=dead", "Result=success", "MainPID=0", "UnitFileState=disabled", "NeedDaemonReload=no"),
			want:  State{Installed: true, UpToDate: true, Detail: "inactive (dead)"},
		},
		"failed": {
			files: current,
			show:  props("LoadState=loaded", "ActiveState=failed", "SubState=failed", "Result=exit-code", "MainPID=0", "UnitFileState=enabled", "NeedDaemonReload=no"),
			want:  State{Installed: true, UpToDate: true, Enabled: true, Detail: "failed (exit-code)"},
		},
		"unit file edited": {
			files: edited,
			show:  props("LoadState=loaded", "ActiveState=active", "SubState=running", "Result=success", "MainPID=4242", "UnitFileState=enabled", "NeedDaemonReload=no"),
			want:  State{Installed: true, Enabled: true, Running: true, Pid: 4242, Detail: "active (running, pid 4242); unit file differs from roma's"},
		},
		"daemon-reload pending": {
			files: current,
			show:  props("LoadState=loaded", "ActiveState=active", "SubState=running", "Result=success", "MainPID=4242", "UnitFileState=enabled", "NeedDaemonReload=yes"),
			want:  State{Installed: true, Enabled: true, Running: true, Pid: 4242, Detail: "active (running, pid 4242); systemd has not loaded the current unit file"},
		},
		"no systemd": {
			show:    remote.Result{ExitCode: noSystemdStatus},
			wantErr: ErrNoSystemd,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			h := newFakeHost(tt.files, answer{match: "systemctl show", res: tt.show})
			got, err := (&Systemd{}).Status(context.Background(), h, sdUnit)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Status error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Status (-want +got):\n%s", diff)
			}
			wantCalls := []string{sdShow, "read " + sdFile}
			if tt.wantErr != nil {
				wantCalls = wantCalls[:1]
			}
			if diff := cmp.Diff(wantCalls, h.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSystemdInstall(t *testing.T) {
	const enable = "if ! systemctl is-enabled --quiet roma-shop-db1-7000.service; then systemctl enable --quiet roma-shop-db1-7000.service; echo enabled; fi\n"
	wasEnabled := answer{match: "is-enabled"}
	enabledNow := answer{match: "is-enabled", res: props("enabled")}
	current := string(RenderUnit(sdUnit))
	tests := map[string]struct {
		files   map[string]string
		answer  answer
		changed bool
		calls   []string
	}{
		"fresh host": {
			answer:  enabledNow,
			changed: true,
			calls:   []string{"read " + sdFile, "write " + sdFile + " 0644", "run set -e\nsystemctl daemon-reload\n" + enable},
		},
		"current and enabled": {
			files:  map[string]string{sdFile: current},
			answer: wasEnabled,
			calls:  []string{"read " + sdFile, "run set -e\n" + enable},
		},
		"current but disabled": {
			files:   map[string]string{sdFile: current},
			answer:  enabledNow,
			changed: true,
			calls:   []string{"read " + sdFile, "run set -e\n" + enable},
		},
		"edited by hand": {
			files:   map[string]string{sdFile: current + "Nice=5\n"},
			answer:  wasEnabled,
			changed: true,
			calls:   []string{"read " + sdFile, "write " + sdFile + " 0644", "run set -e\nsystemctl daemon-reload\n" + enable},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			h := newFakeHost(tt.files, tt.answer)
			changed, err := (&Systemd{}).Install(context.Background(), h, sdUnit)
			if err != nil {
				t.Fatalf("Install: %v", err)
			}
			if changed != tt.changed {
				t.Errorf("Install changed = %v, want %v", changed, tt.changed)
			}
			if diff := cmp.Diff(tt.calls, h.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(current, h.files[sdFile]); diff != "" {
				t.Errorf("unit file (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSystemdUninstall(t *testing.T) {
	h := newFakeHost(map[string]string{sdFile: string(RenderUnit(sdUnit))})
	changed, err := (&Systemd{}).Uninstall(context.Background(), h, sdUnit)
	if !changed || err != nil {
		t.Fatalf("Uninstall = %v, %v; want true, nil", changed, err)
	}
	want := []string{
		"stat " + sdFile,
		"run set -e\nsystemctl disable --now --quiet roma-shop-db1-7000.service\nrm -f -- " + sdFile +
			"\nsystemctl daemon-reload\nsystemctl reset-failed roma-shop-db1-7000.service 2>/dev/null || true\n",
	}
	if diff := cmp.Diff(want, h.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}

	h = newFakeHost(nil)
	if changed, err := (&Systemd{}).Uninstall(context.Background(), h, sdUnit); changed || err != nil {
		t.Fatalf("Uninstall of a missing unit = %v, %v; want false, nil", changed, err)
	}
	if diff := cmp.Diff([]string{"stat " + sdFile}, h.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestSystemdControl(t *testing.T) {
	const (
		logSize = "s=0; [ -f /var/lib/roma/log/db1-7000.log ] && s=$(wc -c < /var/lib/roma/log/db1-7000.log); echo \"logsize=$s\"\n"
		start   = "run " + logSize + "echo since=$(date +%s)\nsystemctl start roma-shop-db1-7000.service\n"
		restart = "run " + logSize + "echo since=$(date +%s)\nsystemctl restart roma-shop-db1-7000.service\n"
		stop    = "run systemctl stop roma-shop-db1-7000.service || { s=$?; [ $s -eq 5 ] || exit $s; }"
		journal = "run journalctl --unit=roma-shop-db1-7000.service --since=@1700000000 --lines=20 --output=cat --no-pager 2>/dev/null || true"
		tail    = "run [ -f /var/lib/roma/log/db1-7000.log ] || exit 0\no=120; [ \"$(wc -c < /var/lib/roma/log/db1-7000.log)\" -lt \"$o\" ] && o=0\ntail -c +$((o + 1)) /var/lib/roma/log/db1-7000.log | tail -n 20\n"
	)
	startFailed := answer{match: "systemctl start", res: remote.Result{
		ExitCode: 1,
		Stdout:   []byte("logsize=120\nsince=1700000000\n"),
		Stderr:   []byte("Job for roma-shop-db1-7000.service failed because the service did not take the steps required by its unit configuration.\n"),
	}}
	journalSays := answer{match: "journalctl", res: props("*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***", ">>> 'maxmemory lots'", "argument must be a memory value")}
	logSays := answer{match: "tail -c", res: props("4242:M 01 Jan 2026 00:00:00.000 # Server initialized")}

	tests := map[string]struct {
		do      func(m *Systemd, h remote.Transport) error
		answers []answer
		calls   []string
		wantErr string
		is      error
	}{
		"start": {
			do:    func(m *Systemd, h remote.Transport) error { return m.Start(context.Background(), h, sdUnit) },
			calls: []string{start},
		},
		"start fails": {
			do:      func(m *Systemd, h remote.Transport) error { return m.Start(context.Background(), h, sdUnit) },
			answers: []answer{startFailed, journalSays, logSays},
			calls:   []string{start, journal, tail},
			wantErr: "db1: start db1-7000: systemctl start roma-shop-db1-7000.service failed (status 1); it said:\n" +
				"    *** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n" +
				"    >>> 'maxmemory lots'\n" +
				"    argument must be a memory value\n" +
				"    4242:M 01 Jan 2026 00:00:00.000 # Server initialized",
		},
		"start fails silently": {
			do:      func(m *Systemd, h remote.Transport) error { return m.Start(context.Background(), h, sdUnit) },
			answers: []answer{startFailed},
			calls:   []string{start, journal, tail},
			wantErr: "db1: start db1-7000: systemctl start roma-shop-db1-7000.service failed (status 1); it said:\n" +
				"    Job for roma-shop-db1-7000.service failed because the service did not take the steps required by its unit configuration.",
		},
		"start without systemd": {
			do:      func(m *Systemd, h remote.Transport) error { return m.Start(context.Background(), h, sdUnit) },
			answers: []answer{{match: "systemctl start", res: remote.Result{ExitCode: noSystemdStatus}}},
			calls:   []string{start},
			is:      ErrNoSystemd,
			wantErr: "db1: start db1-7000: systemd is not running on this host",
		},
		"restart": {
			do:    func(m *Systemd, h remote.Transport) error { return m.Restart(context.Background(), h, sdUnit) },
			calls: []string{restart},
		},
		"stop": {
			do:    func(m *Systemd, h remote.Transport) error { return m.Stop(context.Background(), h, sdUnit) },
			calls: []string{stop},
		},
		"stop fails": {
			do:      func(m *Systemd, h remote.Transport) error { return m.Stop(context.Background(), h, sdUnit) },
			answers: []answer{{match: "systemctl stop", res: remote.Result{ExitCode: 1, Stderr: []byte("Failed to stop roma-shop-db1-7000.service: Access denied\n")}}},
			calls:   []string{stop},
			wantErr: "db1: stop db1-7000: exit status 1: Failed to stop roma-shop-db1-7000.service: Access denied",
		},
		"stop without systemd": {
			do:      func(m *Systemd, h remote.Transport) error { return m.Stop(context.Background(), h, sdUnit) },
			answers: []answer{{match: "systemctl stop", res: remote.Result{ExitCode: noSystemdStatus}}},
			calls:   []string{stop},
			is:      ErrNoSystemd,
			wantErr: "db1: stop db1-7000: systemd is not running on this host",
		},
		"unreachable": {
			do:      func(m *Systemd, h remote.Transport) error { return m.Stop(context.Background(), h, sdUnit) },
			answers: []answer{{match: "systemctl stop", err: &remote.ConnError{Host: "db1", Addr: "10.0.0.11:22", Kind: remote.ErrUnreachable, Err: errors.New("connection refused")}}},
			calls:   []string{stop},
			is:      remote.ErrUnreachable,
			wantErr: "stop db1-7000: db1 (10.0.0.11:22): connection refused",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			h := newFakeHost(nil, tt.answers...)
			err := tt.do(&Systemd{}, h)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Errorf("error = %v\nwant %s", err, tt.wantErr)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not match %v", err, tt.is)
			}
			if diff := cmp.Diff(tt.calls, h.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSystemdGuard runs the guard every systemd script starts with: where
// the tests run, systemd is not the init system, so it must fail with
// noSystemdStatus.
func TestSystemdGuard(t *testing.T) {
	err := exec.Command("/bin/sh", "-c", "[ -d /run/systemd/system ]").Run()
	if err == nil {
		t.Skip("this machine runs systemd")
	}
	_, err = (&Systemd{}).Status(testCtx(t), local, sdUnit)
	if !errors.Is(err, ErrNoSystemd) {
		t.Errorf("Status on a host without systemd = %v, want ErrNoSystemd", err)
	}
}
