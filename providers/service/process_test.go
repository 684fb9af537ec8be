package service

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconn/redistest"
)

func TestProcessRedisLifecycle(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	port := redistest.FreePort(t)
	u := redisNode(t, "db1-7000", port)
	m := testProcess()

	wantStatus(t, m, u, stopped("stopped"))
	if err := m.Start(ctx, local, u); err != nil {
		t.Fatalf("Start: %v", err)
	}
	s := status(t, m, u)
	if diff := cmp.Diff(running(s.Pid), s); diff != "" || s.Pid == 0 {
		t.Fatalf("Status after Start (-want +got):\n%s", diff)
	}
	if got := ping(t, port); got != "+PONG" {
		t.Errorf("PING = %q, want +PONG", got)
	}

	if err := m.Start(ctx, local, u); err != nil {
		t.Fatalf("second Start: %v", err)
	}
	wantStatus(t, m, u, running(s.Pid))

	if err := m.Restart(ctx, local, u); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	r := status(t, m, u)
	if !r.Running || r.Pid == s.Pid {
		t.Fatalf("after Restart: %+v, want running with a pid other than %d", r, s.Pid)
	}
	if alive(t, s.Pid) {
		t.Errorf("old pid %d still alive after Restart", s.Pid)
	}
	if got := ping(t, port); got != "+PONG" {
		t.Errorf("PING after Restart = %q, want +PONG", got)
	}

	if err := m.Stop(ctx, local, u); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	wantStatus(t, m, u, stopped("stopped"))
	if alive(t, r.Pid) {
		t.Errorf("pid %d still alive after Stop", r.Pid)
	}
	if _, err := os.Stat(u.PidFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pidfile after Stop: %v, want it gone", err)
	}
	if err := m.Stop(ctx, local, u); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	log, _ := os.ReadFile(u.LogFile)
	if !strings.Contains(string(log), "Redis is now ready to exit") {
		t.Errorf("Redis did not shut down gracefully; its log:\n%s", log)
	}
}

func TestProcessStalePidfile(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	port := redistest.FreePort(t)
	u := redisNode(t, "db1-7001", port)
	m := testProcess()
	writePid := func(s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(u.PidFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(u.PidFile, []byte(s+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// A pid that is no longer anyone's.
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	writePid(strconv.Itoa(gone.Process.Pid))
	wantStatus(t, m, u, stopped(fmt.Sprintf("stale pidfile: pid %d is not running", gone.Process.Pid)))

	writePid("hello")
	wantStatus(t, m, u, stopped(`stale pidfile: "hello" is not a pid`))

	// A pid that another program has now.
	sleep := exec.Command("sleep", "300")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sleep.Process.Kill(); sleep.Wait() }()
	other := sleep.Process.Pid
	writePid(strconv.Itoa(other))
	wantStatus(t, m, u, stopped(fmt.Sprintf("stale pidfile: pid %d is sleep, not redis-server", other)))

	if err := m.Stop(ctx, local, u); err != nil {
		t.Fatalf("Stop with a stale pidfile: %v", err)
	}
	if _, err := os.Stat(u.PidFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale pidfile after Stop: %v, want it removed", err)
	}
	if !alive(t, other) {
		t.Fatalf("Stop killed pid %d (sleep), which its stale pidfile named", other)
	}

	writePid(strconv.Itoa(other))
	if err := m.Start(ctx, local, u); err != nil {
		t.Fatalf("Start over a stale pidfile: %v", err)
	}
	s := status(t, m, u)
	if !s.Running || s.Pid == other {
		t.Fatalf("after Start: %+v, want redis-server running", s)
	}
	if got := ping(t, port); got != "+PONG" {
		t.Errorf("PING = %q, want +PONG", got)
	}
	if !alive(t, other) {
		t.Errorf("Start killed pid %d (sleep)", other)
	}
	if err := m.Stop(ctx, local, u); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

func TestProcessStartFailure(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		unit         func(t *testing.T) Unit
		want         []string // substrings of the error
		notWant      string
		startTimeout time.Duration // 0: 2s
	}{
		"bad redis setting": {
			unit: func(t *testing.T) Unit { return redisNode(t, "db1-bad", redistest.FreePort(t), "maxmemory lots") },
			want: []string{"db1: start db1-bad: redis-server exited with status 1", "'maxmemory lots'", "argument must be a memory value"},
		},
		"unknown redis directive": {
			unit: func(t *testing.T) Unit { return redisNode(t, "db1-typo", redistest.FreePort(t), "maxmemroy 1mb") },
			want: []string{"db1: start db1-typo: redis-server exited with status 1", "'maxmemroy 1mb'", "Bad directive"},
		},
		"port taken": {
			unit: func(t *testing.T) Unit {
				l, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { l.Close() })
				return redisNode(t, "db1-taken", l.Addr().(*net.TCPAddr).Port)
			},
			// Redis 7.0 fails before writing its pidfile (seen in its
			// log), 7.2+ right after: either way, at once, not after
			// StartTimeout ("wrote no pidfile").
			want:         []string{"db1: start db1-taken: redis-server (pid ", " exited ", "Address already in use"},
			startTimeout: time.Minute,
		},
		"a server that lives but writes no pidfile": {
			// It logs its banner, as a Redis that hangs before listening
			// would: StartTimeout still bounds the wait.
			unit: func(t *testing.T) Unit {
				u := redisNode(t, "db1-hung", redistest.FreePort(t))
				dir := t.TempDir()
				stash := filepath.Join(dir, "pid")
				fake := filepath.Join(dir, "redis-server")
				inner := fmt.Sprintf(`echo "$$:C 27 Nov 2026 00:00:00.000 # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo" >> %s; echo $$ > %s; exec sleep 60`, u.LogFile, stash)
				script := fmt.Sprintf("#!/bin/sh\nsh -c '%s' </dev/null >/dev/null 2>&1 &\n", inner)
				if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() {
					if b, err := os.ReadFile(stash); err == nil {
						if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
							syscall.Kill(pid, syscall.SIGKILL)
						}
					}
				})
				u.Argv[0] = fake
				return u
			},
			want: []string{"db1: start db1-hung: redis-server wrote no pidfile", "within 2s", "Redis is starting"},
		},
		"missing program": {
			unit: func(t *testing.T) Unit {
				u := redisNode(t, "db1-missing", redistest.FreePort(t))
				u.Argv[0] = "/nonexistent/redis-server"
				return u
			},
			want: []string{"db1: start db1-missing: cannot run /nonexistent/redis-server (status 127)", "not found"},
		},
		"foreground program that dies": {
			unit: func(t *testing.T) Unit {
				u := helperUnit(t, "helper-fail")
				// Only what this start wrote is quoted.
				if err := os.MkdirAll(filepath.Dir(u.LogFile), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(u.LogFile, []byte("an old run's complaint\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return u
			},
			want:    []string{"db1: start romad: ", "exited right after starting", "helper: bad setting on line 3"},
			notWant: "an old run's complaint",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m := &Process{StartTimeout: 2 * time.Second}
			if tt.startTimeout > 0 {
				m.StartTimeout = tt.startTimeout
			}
			u := tt.unit(t)
			err := m.Start(testCtx(t), local, u)
			t.Logf("Start: %v", err)
			var se *StartError
			if !errors.As(err, &se) {
				t.Fatalf("Start = %v, want a *StartError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if tt.notWant != "" && strings.Contains(err.Error(), tt.notWant) {
				t.Errorf("error quotes %q, from before this start:\n%v", tt.notWant, err)
			}
			if s := status(t, m, u); s.Running {
				t.Errorf("Status after a failed Start: %+v", s)
			}
		})
	}
}

func TestProcessForeground(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	u := helperUnit(t, "helper-serve")
	m := testProcess()

	if err := m.Start(ctx, local, u); err != nil {
		t.Fatalf("Start: %v", err)
	}
	s := status(t, m, u)
	if diff := cmp.Diff(running(s.Pid), s); diff != "" || s.Pid == 0 {
		t.Fatalf("Status after Start (-want +got):\n%s", diff)
	}
	if err := m.Start(ctx, local, u); err != nil {
		t.Fatalf("second Start: %v", err)
	}
	wantStatus(t, m, u, running(s.Pid))

	if err := m.Stop(ctx, local, u); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	wantStatus(t, m, u, stopped("stopped"))
	if alive(t, s.Pid) {
		t.Errorf("pid %d alive after Stop", s.Pid)
	}
	log, err := os.ReadFile(u.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"helper: serving", "helper: stopping on SIGTERM"} {
		if !strings.Contains(string(log), w) {
			t.Errorf("log lacks %q:\n%s", w, log)
		}
	}
}

func TestProcessStopKillsAfterTimeout(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	u := helperUnit(t, "helper-stubborn")
	u.StopTimeout = 500 * time.Millisecond
	m := testProcess()

	if err := m.Start(ctx, local, u); err != nil {
		t.Fatalf("Start: %v", err)
	}
	pid := status(t, m, u).Pid
	start := time.Now()
	if err := m.Stop(ctx, local, u); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if took := time.Since(start); took < u.StopTimeout || took > u.StopTimeout+killTimeout {
		t.Errorf("Stop took %v, want between %v and %v", took, u.StopTimeout, u.StopTimeout+killTimeout)
	}
	wantStatus(t, m, u, stopped("stopped"))
	if alive(t, pid) {
		t.Errorf("pid %d alive after Stop", pid)
	}
}

// TestProcessStopAsksAgain: a process that refuses its first SIGTERM
// (Redis writing its first append-only file) gets another, and stops
// cleanly, long before StopTimeout would have it killed.
func TestProcessStopAsksAgain(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	u := helperUnit(t, "helper-refuses-once")
	u.StopTimeout = 20 * time.Second
	m := testProcess()
	if err := m.Start(ctx, local, u); err != nil {
		t.Fatalf("Start: %v", err)
	}
	start := time.Now()
	if err := m.Stop(ctx, local, u); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if took := time.Since(start); took >= u.StopTimeout/2 {
		t.Errorf("Stop took %v: it did not send SIGTERM again", took)
	}
	wantStatus(t, m, u, stopped("stopped"))
	log, _ := os.ReadFile(u.LogFile)
	if !strings.Contains(string(log), "helper: stopping on SIGTERM") {
		t.Errorf("the helper did not stop on a second SIGTERM; its log:\n%s", log)
	}
}

func TestProcessUninstall(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	u := helperUnit(t, "helper-serve")
	m := testProcess()
	if changed, err := m.Install(ctx, local, u); changed || err != nil {
		t.Fatalf("Install = %v, %v; want false, nil", changed, err)
	}
	if err := m.Start(ctx, local, u); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if changed, err := m.Uninstall(ctx, local, u); !changed || err != nil {
		t.Fatalf("Uninstall = %v, %v; want true, nil", changed, err)
	}
	wantStatus(t, m, u, stopped("stopped"))
	if changed, err := m.Uninstall(ctx, local, u); changed || err != nil {
		t.Fatalf("second Uninstall = %v, %v; want false, nil", changed, err)
	}
}

func TestProcessContextEnds(t *testing.T) {
	t.Parallel()
	u := helperUnit(t, "helper-stubborn")
	u.StopTimeout = time.Minute
	m := testProcess()
	if err := m.Start(testCtx(t), local, u); err != nil {
		t.Fatalf("Start: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := m.Stop(ctx, local, u)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "stop romad") {
		t.Errorf("Stop with a short context = %v, want the deadline, naming the service", err)
	}
}

// TestProcessAwkwardPaths runs a service whose paths hold spaces, quotes
// and dollars: every command the manager runs must quote them.
func TestProcessAwkwardPaths(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	l := cluster.Layout{Root: filepath.Join(t.TempDir(), `it's a "$HOME" dir`)}
	u := Unit{
		Cluster: "test",
		Name:    "romad",
		Kind:    KindRomad,
		Argv:    []string{exe, "helper-serve"},
		Dir:     l.Root,
		PidFile: l.Pid("romad"),
		LogFile: l.Log("romad"),
	}
	killAtEnd(t, u)
	m := testProcess()
	if err := m.Start(ctx, local, u); err != nil {
		t.Fatalf("Start: %v", err)
	}
	s := status(t, m, u)
	if !s.Running {
		t.Fatalf("Status after Start: %+v", s)
	}
	if cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", s.Pid)); err != nil || cwd != u.Dir {
		t.Errorf("working directory = %q, %v; want %q", cwd, err, u.Dir)
	}
	if err := m.Stop(ctx, local, u); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	wantStatus(t, m, u, stopped("stopped"))
	if log, _ := os.ReadFile(u.LogFile); !strings.Contains(string(log), "helper: serving") {
		t.Errorf("log %s lacks the helper's output: %q", u.LogFile, log)
	}
}
