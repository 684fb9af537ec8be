package redistest

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/roma-redis/roma/redisconn"
)

// Server is a running redis-server.
type Server struct {
	Addr string // 127.0.0.1:port
	Port int
	Dir  string // its working directory, with redis.log
	Pid  int

	argv []string
	cmd  *exec.Cmd
}

// Pause stops the server (SIGSTOP) until the test ends or the returned
// function resumes it: it still accepts connections (the kernel does) but
// never answers, as a hung node does.
func (s *Server) Pause(t testing.TB) (resume func()) {
	t.Helper()
	if err := syscall.Kill(s.Pid, syscall.SIGSTOP); err != nil {
		t.Fatalf("pausing redis-server %s: %v", s.Addr, err)
	}
	var once sync.Once
	resume = func() { once.Do(func() { _ = syscall.Kill(s.Pid, syscall.SIGCONT) }) }
	t.Cleanup(resume)
	return resume
}

// Start starts a redis-server with password (requirepass and masterauth;
// none when empty) and extra arguments, and waits until it answers. It
// fails the test when redis-server is missing: the tests run against the
// real thing.
func Start(t testing.TB, password string, args ...string) *Server {
	t.Helper()
	return StartFrom(t, "", password, args...)
}

// StartFrom is Start with the server started from the conf file conf
// (INFO config_file gives it, as for a node roma started), whose
// directives Start's arguments override; "" for none.
func StartFrom(t testing.TB, conf, password string, args ...string) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server is needed: %v (apt-get install redis-server)", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Port: port, Dir: t.TempDir()}
	argv := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", s.Dir, "--save", "",
		"--appendonly", "no", "--logfile", filepath.Join(s.Dir, "redis.log")}
	if password != "" {
		argv = append(argv, "--requirepass", password, "--masterauth", password)
	}
	if conf != "" {
		argv = append([]string{conf}, argv...)
	}
	s.argv = append(argv, args...)
	s.launch(t)
	t.Cleanup(func() { s.Kill(t) })
	c := redisconn.New(s.Addr, password, time.Second, 1)
	defer c.Close()
	for deadline := time.Now().Add(10 * time.Second); c.Ping(context.Background()).Err() != nil; {
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
			t.Fatalf("redis-server on %s does not answer:\n%s", s.Addr, log)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return s
}

func (s *Server) launch(t testing.TB) {
	t.Helper()
	s.cmd = exec.Command("redis-server", s.argv...)
	// Its own process group: Kill kills its forks too (a BGSAVE child
	// writes on into Dir after its parent is gone).
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.Pid = s.cmd.Process.Pid
}

// Kill kills the server (SIGKILL) and its forks, and waits until they are
// gone.
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	if s.cmd == nil {
		return
	}
	pgid := s.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	_ = s.cmd.Wait()
	s.cmd = nil
	// A fork, reparented, is gone once no process of the group runs (a
	// zombie no one reaps writes nothing).
	for deadline := time.Now().Add(5 * time.Second); groupRuns(pgid); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("redis-server %d: its process group outlived SIGKILL", pgid)
			return
		}
	}
}

// Relaunch starts a server that Kill stopped again, on the same port and
// with the same arguments, and waits until it accepts connections (a
// plain TCP dial: what answers it is for the test to see).
func (s *Server) Relaunch(t testing.TB) {
	t.Helper()
	s.launch(t)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		conn, err := net.DialTimeout("tcp", s.Addr, time.Second)
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s does not accept connections 10s after its relaunch: %v", s.Addr, err)
		}
	}
}

// groupRuns reports whether a process of process group pgid runs (is not
// a zombie), from /proc/PID/stat: "pid (comm) state ppid pgrp ...".
func groupRuns(pgid int) bool {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(b[i+1:]))
		if len(fields) >= 3 && fields[0] != "Z" && fields[0] != "X" && fields[2] == strconv.Itoa(pgid) {
			return true
		}
	}
	return false
}
