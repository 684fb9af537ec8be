package service

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/remote"
)

// These tests run real redis-server processes (and the test binary as a
// foreground daemon) on this machine through the local transport, each in
// its own temporary root, listening on 127.0.0.1 only.

var local = remote.NewLocal("db1")

// testProcess is the process manager with bounds that keep failing tests
// short.
func testProcess() *Process { return &Process{StartTimeout: 5 * time.Second} }

func needRedis(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("redis-server is not installed: run scripts/deps.sh (Debian package redis-server)")
	}
}

// redisNode writes a minimal conf for a node called name listening on
// 127.0.0.1:port, plus extra lines, under a fresh root, and returns its
// unit. The node is killed (by its pid) at the end of the test.
func redisNode(t *testing.T, name string, port int, extra ...string) Unit {
	t.Helper()
	needRedis(t)
	l := cluster.Layout{Root: t.TempDir()}
	u := RedisUnit("test", l, name)
	conf := []string{
		fmt.Sprintf("port %d", port),
		"bind 127.0.0.1",
		"dir " + l.Data(name),
		"pidfile " + l.Pid(name),
		"logfile " + l.Log(name),
		"daemonize yes",
		`save ""`,
		"appendonly no",
	}
	conf = append(conf, extra...)
	for _, d := range []string{l.ConfDir(), l.Data(name)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(l.Conf(name), []byte(strings.Join(conf, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	killAtEnd(t, u)
	return u
}

// helperUnit is a KindRomad unit that runs this test binary in mode.
func helperUnit(t *testing.T, mode string) Unit {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	l := cluster.Layout{Root: t.TempDir()}
	u := Unit{
		Cluster: "test",
		Name:    "romad",
		Kind:    KindRomad,
		Argv:    []string{exe, mode},
		Dir:     l.Root,
		PidFile: l.Pid("romad"),
		LogFile: l.Log("romad"),
	}
	killAtEnd(t, u)
	return u
}

// killAtEnd kills, when the test ends, the process u's pidfile names if
// it still runs u's program: only what the test started.
func killAtEnd(t *testing.T, u Unit) {
	t.Cleanup(func() {
		p, err := probe(context.Background(), local, u.PidFile, 0)
		if err == nil && p.runs(u.program()) {
			t.Logf("killing leftover %s (pid %d)", u.program(), p.Pid)
			syscall.Kill(p.Pid, syscall.SIGKILL)
		}
	})
}

// ping sends PING to the Redis on port and returns its reply line.
func ping(t *testing.T, port int) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 5*time.Second)
	if err != nil {
		t.Fatalf("ping: %v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		t.Fatalf("ping: %v", err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("ping: %v", err)
	}
	return strings.TrimSpace(line)
}

// alive reports whether pid is a live process (not a zombie).
func alive(t *testing.T, pid int) bool {
	t.Helper()
	p, err := probe(testCtx(t), local, "", pid)
	if err != nil {
		t.Fatal(err)
	}
	return p.alive()
}

func stopped(detail string) State { return State{Installed: true, UpToDate: true, Detail: detail} }

func running(pid int) State {
	return State{Installed: true, UpToDate: true, Running: true, Pid: pid, Detail: fmt.Sprintf("running (pid %d)", pid)}
}

func status(t *testing.T, m Manager, u Unit) State {
	t.Helper()
	s, err := m.Status(testCtx(t), local, u)
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	return s
}

func wantStatus(t *testing.T, m Manager, u Unit, want State) {
	t.Helper()
	if diff := cmp.Diff(want, status(t, m, u)); diff != "" {
		t.Errorf("Status (-want +got):\n%s", diff)
	}
}
