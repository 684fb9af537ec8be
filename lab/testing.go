package lab

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// mustNotSkip reports whether a lab that cannot start must fail the tests
// rather than skip them: as root or in CI, it can and must start.
func mustNotSkip() bool {
	return os.Geteuid() == 0 || os.Getenv("CI") == "true"
}

// Require fails t (as root or with CI=true) or skips it (otherwise) when
// the lab could not start, reporting err.
func Require(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if mustNotSkip() {
		t.Fatalf("lab cannot start: %v", err)
	}
	t.Skipf("lab cannot start (not root, not CI): %v", err)
}

// New starts a lab for one test and stops it when the test ends.
func New(t testing.TB, opts Options) *Lab {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, err := Start(ctx, opts)
	Require(t, err)
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("lab close: %v", err)
		}
	})
	return l
}

var shared struct {
	mu   sync.Mutex
	opts *Options // set by Main
	lab  *Lab
	err  error
}

// Main runs a package's tests (call it from TestMain) with one lab shared
// by every test that calls Shared, started on first use and stopped after
// the last test.
//
//	func TestMain(m *testing.M) { os.Exit(lab.Main(m, lab.Options{Hosts: 8})) }
func Main(m *testing.M, opts Options) int {
	shared.mu.Lock()
	shared.opts = &opts
	shared.mu.Unlock()
	code := m.Run()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.lab != nil {
		if err := shared.lab.Close(); err != nil {
			os.Stderr.WriteString("lab close: " + err.Error() + "\n")
			if code == 0 {
				code = 1
			}
		}
		shared.lab = nil
	}
	return code
}

// Shared returns the package's shared lab, starting it on first use. It
// needs Main in TestMain; without it, each call starts a lab of its own
// for t (4 hosts).
func Shared(t testing.TB) *Lab {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.opts == nil {
		return New(t, Options{})
	}
	if shared.lab == nil && shared.err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		shared.lab, shared.err = Start(ctx, *shared.opts)
		cancel()
	}
	Require(t, shared.err)
	return shared.lab
}

// LogTails logs the last n lines of every log file under each host's
// log directory (the Redis nodes', romad's): what a failed lab test needs
// to be explained, above all in CI, where the lab is gone afterwards.
func (l *Lab) LogTails(t testing.TB, n int) {
	t.Helper()
	for _, h := range l.Hosts {
		logs, _ := filepath.Glob(filepath.Join(h.Root, "log", "*.log"))
		for _, f := range logs {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Logf("%s %s: %v", h.Name, filepath.Base(f), err)
				continue
			}
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			if len(lines) > n {
				lines = lines[len(lines)-n:]
			}
			t.Logf("%s %s:\n%s", h.Name, filepath.Base(f), strings.Join(lines, "\n"))
		}
	}
}
