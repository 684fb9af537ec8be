package remotetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/roma-redis/roma/remote"
)

// Run runs the conformance suite. newTransport returns the transport under
// test (the suite does not close it); root is a directory on the target
// that the suite may fill (each subtest works under its own subdirectory).
func Run(t *testing.T, newTransport func(t *testing.T) remote.Transport, root string) {
	tests := []struct {
		name string
		fn   func(t *testing.T, e *env)
	}{
		{"RunExitCodes", testRunExitCodes},
		{"RunStdin", testRunStdin},
		{"RunTimeoutKills", testRunTimeoutKills},
		{"RoundTrip64MiB", testRoundTrip64MiB},
		{"AtomicReplaceOnFailure", testAtomicReplaceOnFailure},
		{"Modes", testModes},
		{"MissingParent", testMissingParent},
		{"NotExist", testNotExist},
		{"Remove", testRemove},
		{"ReadDir", testReadDir},
		{"Upload", testUpload},
		{"Concurrent", testConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTransport(t)
			dir := path.Join(root, tc.name)
			e := &env{t: t, tr: tr, dir: dir}
			ctx := e.ctx()
			if err := tr.MkdirAll(ctx, dir, 0o755); err != nil {
				t.Fatal(err)
			}
			tc.fn(t, e)
			e.noTempFiles(dir)
		})
	}
}

// env is a subtest's transport and scratch directory.
type env struct {
	t   *testing.T
	tr  remote.Transport
	dir string
}

// ctx is a context that bounds one step, so that a hang fails rather than
// stalls the suite.
func (e *env) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	e.t.Cleanup(cancel)
	return ctx
}

func (e *env) path(name string) string { return path.Join(e.dir, name) }

func (e *env) write(name string, data string, mode fs.FileMode) {
	e.t.Helper()
	if err := e.tr.WriteFile(e.ctx(), e.path(name), []byte(data), mode); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) read(name string) string {
	e.t.Helper()
	b, err := e.tr.ReadFile(e.ctx(), e.path(name))
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

func (e *env) run(cmd string) remote.Result {
	e.t.Helper()
	res, err := e.tr.Run(e.ctx(), cmd)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

// noTempFiles fails unless dir (recursively, one level) holds no temporary
// file of an atomic write.
func (e *env) noTempFiles(dir string) {
	e.t.Helper()
	infos, err := e.tr.ReadDir(e.ctx(), dir)
	if err != nil {
		e.t.Errorf("list %s: %v", dir, err)
		return
	}
	for _, fi := range infos {
		if remote.IsTempName(fi.Name()) {
			e.t.Errorf("temporary file left behind: %s", path.Join(dir, fi.Name()))
		}
		if fi.IsDir() && dir == e.dir {
			e.noTempFiles(path.Join(dir, fi.Name()))
		}
	}
}

// namesHost fails unless err's message starts with the transport's name.
func (e *env) namesHost(err error) {
	e.t.Helper()
	if err == nil {
		e.t.Errorf("got no error, want one")
		return
	}
	if !strings.HasPrefix(err.Error(), e.tr.Name()) {
		e.t.Errorf("error %q does not start with host name %q", err, e.tr.Name())
	}
}

// randomReader yields n pseudo-random bytes, quickly.
func randomReader(seed uint64, n int64) io.Reader {
	return io.LimitReader(chachaReader{rand.NewChaCha8([32]byte{byte(seed)})}, n)
}

type chachaReader struct{ c *rand.ChaCha8 }

func (r chachaReader) Read(p []byte) (int, error) { return r.c.Read(p) }

// failingReader yields n bytes and then fails with err (after calling
// before, when set).
type failingReader struct {
	r      io.Reader
	n      int64
	before func()
	err    error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		if f.before != nil {
			f.before()
			f.before = nil
		}
		return 0, f.err
	}
	if int64(len(p)) > f.n {
		p = p[:f.n]
	}
	n, err := f.r.Read(p)
	f.n -= int64(n)
	return n, err
}

// slowReader yields chunk bytes every tick, forever.
type slowReader struct {
	chunk int
	tick  time.Duration
}

func (s slowReader) Read(p []byte) (int, error) {
	time.Sleep(s.tick)
	if len(p) > s.chunk {
		p = p[:s.chunk]
	}
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

var errReader = errors.New("reader broke")

func uniqueSleep() string { return fmt.Sprintf("sleep 31.%03d", rand.IntN(1000)) }
