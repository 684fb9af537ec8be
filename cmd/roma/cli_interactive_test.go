package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/roma-redis/roma/plan/plantest"
	"golang.org/x/sys/unix"
)

// TestCLIInteractive drives roma cli's prompt on a real terminal (a pty)
// against a lab cluster: commands run, the up arrow recalls the last
// one, and the history lands in ~/.roma_history, without the lines that
// may hold a password.
func TestCLIInteractive(t *testing.T) {
	dir, _, _ := labCluster(t, nil)
	home := t.TempDir()
	t.Setenv("HOME", home)
	os.WriteFile(filepath.Join(home, ".roma_history"), []byte("PING\n"), 0o600)

	ptm, pts := openPty(t)
	out := &syncBuffer{}
	done := make(chan int)
	go func() { done <- run([]string{"cli", "-c", dir}, pts, out, out) }()

	waitOutput(t, out, "labtest> ", 1)
	fmt.Fprint(ptm, "SET greeting 'hello there'\r")
	waitOutput(t, out, "labtest> ", 2)
	fmt.Fprint(ptm, "GET greeting\r")
	waitOutput(t, out, "labtest> ", 3)
	// Lines that may hold a password stay out of the history.
	fmt.Fprint(ptm, "AUTH default typed-secret\r")
	waitOutput(t, out, "labtest> ", 4)
	fmt.Fprint(ptm, "CONFIG SET requirepass typed-secret\r")
	waitOutput(t, out, "labtest> ", 5)
	fmt.Fprint(ptm, "\x1b[A\r") // up arrow: GET greeting again
	waitOutput(t, out, "labtest> ", 6)
	fmt.Fprint(ptm, "quit\r")
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the prompt did not end; output:\n%s", out)
	}
	got := strings.ReplaceAll(out.String(), "\r\n", "\n")
	if n := strings.Count(got, "\n\"hello there\"\n"); n != 2 {
		t.Errorf("the reply to GET appears %d times, want 2; output:\n%q", n, got)
	}
	if strings.Contains(got, plantest.Password) {
		t.Errorf("the password was printed")
	}
	hist, _ := os.ReadFile(filepath.Join(home, ".roma_history"))
	if want := "PING\nSET greeting 'hello there'\nGET greeting\nquit\n"; string(hist) != want {
		t.Errorf("history file %q, want %q", hist, want)
	}
}

// openPty opens a pseudo-terminal: the master end, and the terminal end
// a program reads.
func openPty(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	t.Cleanup(func() { ptm.Close() })
	if err := unix.IoctlSetPointerInt(int(ptm.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptm.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pts.Close() })
	return ptm, pts
}

func waitOutput(t *testing.T, out *syncBuffer, s string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(out.String(), s) < n {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %q #%d; output:\n%q", s, n, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
