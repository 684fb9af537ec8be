package redistest

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
	cmd := exec.Command("redis-server", append(argv, args...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.Pid = cmd.Process.Pid
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
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
