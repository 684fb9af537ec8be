package lab_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/remote"
)

func TestMain(m *testing.M) { os.Exit(lab.Main(m, lab.Options{Hosts: 3})) }

func run(t *testing.T, tr remote.Transport, cmd string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := remote.Output(ctx, tr, cmd)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

func dial(t *testing.T, h *lab.Host) *remote.SSH {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := h.Dial(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestHostsAreIsolated checks that each host has its own hostname and its
// own /var/lib/roma, as separate machines would.
func TestHostsAreIsolated(t *testing.T) {
	l := lab.Shared(t)
	db1, db2 := dial(t, l.Host("db1")), dial(t, l.Host("db2"))
	if got := run(t, db1, "hostname"); got != "lab-db1" {
		t.Errorf("db1 hostname = %q, want lab-db1", got)
	}
	if got := run(t, db2, "hostname"); got != "lab-db2" {
		t.Errorf("db2 hostname = %q, want lab-db2", got)
	}
	run(t, db1, "echo hello > /var/lib/roma/isolation && whoami")
	if got := run(t, db2, "cat /var/lib/roma/isolation 2>/dev/null || echo absent"); got != "absent" {
		t.Errorf("db2 sees db1's file: %q", got)
	}
	b, err := os.ReadFile(filepath.Join(l.Host("db1").Root, "isolation"))
	if err != nil || string(b) != "hello\n" {
		t.Errorf("db1's root on this machine: %q, %v", b, err)
	}
	if _, err := os.Stat("/var/lib/roma/isolation"); err == nil {
		t.Errorf("db1's file leaked to this machine's /var/lib/roma")
	}
	if got := run(t, db1, "whoami"); got != "root" {
		t.Errorf("whoami = %q, want root", got)
	}
}

// TestCloseKillsDaemons checks that a daemon started over SSH lives in the
// host's namespace and dies with the lab.
func TestCloseKillsDaemons(t *testing.T) {
	l, err := lab.Start(context.Background(), lab.Options{Hosts: 1})
	lab.Require(t, err)
	defer l.Close()
	h := l.Host("db1")
	s := dial(t, h)
	pid := run(t, s, "setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo $!")
	found := false
	for _, p := range h.Processes() {
		if strconv.Itoa(p) == pid {
			found = true
		}
	}
	if !found {
		t.Fatalf("daemon %s not among db1's processes %v", pid, h.Processes())
	}
	s.Close()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/proc/" + pid + "/ns/mnt"); err == nil {
		t.Errorf("daemon %s survived Close", pid)
	}
	if _, err := os.Stat(l.Dir); err == nil {
		t.Errorf("lab dir %s survived Close", l.Dir)
	}
}

// TestPersistentDown checks the romalab path: a persistent lab in a
// directory is stopped by Down, from its pids file alone.
func TestPersistentDown(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lab")
	l, err := lab.Start(context.Background(), lab.Options{Hosts: 2, Dir: dir, Persistent: true})
	lab.Require(t, err)
	pids := append(l.Host("db1").Processes(), l.Host("db2").Processes()...)
	if len(pids) < 2 {
		t.Fatalf("pids = %v", pids)
	}
	if err := lab.Down(dir); err != nil {
		t.Fatal(err)
	}
	for _, p := range pids {
		if _, err := os.Stat("/proc/" + strconv.Itoa(p) + "/ns/mnt"); err == nil {
			t.Errorf("pid %d survived Down", p)
		}
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("%s survived Down", dir)
	}
	l.Close() // reaps the sshd children; must not fail on a stopped lab
}

// TestEightHosts starts a lab of eight hosts, reports how long starting
// and stopping take, and checks that every host answers over SSH with its
// own name and that nothing of the lab is left afterwards.
func TestEightHosts(t *testing.T) {
	start := time.Now()
	l, err := lab.Start(context.Background(), lab.Options{Hosts: 8})
	lab.Require(t, err)
	up := time.Since(start)
	defer l.Close()
	var pids []int
	for _, h := range l.Hosts {
		s := dial(t, h)
		if got := run(t, s, "hostname"); got != h.Hostname {
			t.Errorf("%s: hostname = %q, want %q", h.Name, got, h.Hostname)
		}
		pids = append(pids, h.Processes()...)
	}
	start = time.Now()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	down := time.Since(start)
	t.Logf("8 hosts: up in %v, down in %v", up.Round(time.Millisecond), down.Round(time.Millisecond))
	if up > 30*time.Second {
		t.Errorf("starting 8 hosts took %v", up) // a hang, not a benchmark
	}
	for _, p := range pids {
		if _, err := os.Stat("/proc/" + strconv.Itoa(p) + "/ns/mnt"); err == nil {
			t.Errorf("pid %d survived Close", p)
		}
	}
	if _, err := os.Stat(l.Dir); err == nil {
		t.Errorf("lab dir %s survived Close", l.Dir)
	}
}
