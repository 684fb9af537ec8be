package remotetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func testRoundTrip64MiB(t *testing.T, e *env) {
	const size = 64 << 20
	sum := sha256.New()
	src := io.TeeReader(randomReader(64, size), sum)
	if err := e.tr.WriteFrom(e.ctx(), e.path("big"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	fi, err := e.tr.Stat(e.ctx(), e.path("big"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != size {
		t.Errorf("size = %d, want %d", fi.Size(), size)
	}
	got, err := e.tr.ReadFile(e.ctx(), e.path("big"))
	if err != nil {
		t.Fatal(err)
	}
	if g, w := sha256.Sum256(got), sum.Sum(nil); !bytes.Equal(g[:], w) {
		t.Errorf("sha256 of read-back %d bytes = %x, want %x", len(got), g, w)
	}
}

// testAtomicReplaceOnFailure checks that a write failing half-way leaves
// the old file as it was and no temporary file.
func testAtomicReplaceOnFailure(t *testing.T, e *env) {
	tests := []struct {
		name    string
		reader  func(cancel context.CancelFunc) io.Reader
		timeout time.Duration
		want    error
	}{
		{"cancel mid-transfer", func(cancel context.CancelFunc) io.Reader {
			return &failingReader{r: randomReader(1, 1<<40), n: 8 << 20, before: cancel, err: errReader}
		}, 0, context.Canceled},
		{"reader fails", func(context.CancelFunc) io.Reader {
			return &failingReader{r: randomReader(2, 1<<40), n: 3 << 20, err: errReader}
		}, 0, errReader},
		{"deadline with slow reader", func(context.CancelFunc) io.Reader {
			return slowReader{chunk: 32 << 10, tick: 5 * time.Millisecond}
		}, 500 * time.Millisecond, context.DeadlineExceeded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.write("target", "old content\n", 0o640)
			ctx, cancel := context.WithCancel(context.Background())
			if tc.timeout > 0 {
				ctx, cancel = context.WithTimeout(context.Background(), tc.timeout)
			}
			defer cancel()
			start := time.Now()
			err := e.tr.WriteFrom(ctx, e.path("target"), tc.reader(cancel), 0o600)
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("failed write took %v", took)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("WriteFrom error = %v, want %v", err, tc.want)
			}
			e.namesHost(err)
			if got := e.read("target"); got != "old content\n" {
				t.Errorf("target = %q after failed write, want the old content", got)
			}
			if fi, err := e.tr.Stat(e.ctx(), e.path("target")); err != nil || fi.Mode().Perm() != 0o640 {
				t.Errorf("target mode = %v, %v; want 0640 kept", fi.Mode(), err)
			}
			e.noTempFiles(e.dir)
		})
	}
}

func testModes(t *testing.T, e *env) {
	tests := []struct {
		name      string
		old, mode fs.FileMode // old == 0: no file before
	}{
		{"new 0600", 0, 0o600},
		{"new 0644", 0, 0o644},
		{"new 0755", 0, 0o755},
		{"0644 replaced by 0600", 0o644, 0o600},
		{"0600 replaced by 0755", 0o600, 0o755},
		{"0640 kept", 0o640, 0o640},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := filepath.Base(t.Name())
			if tc.old != 0 {
				e.write(name, "before", tc.old)
			}
			e.write(name, "after", tc.mode)
			fi, err := e.tr.Stat(e.ctx(), e.path(name))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.mode.String(), fi.Mode().String()); diff != "" {
				t.Errorf("mode (-want +got):\n%s", diff)
			}
			if got := e.read(name); got != "after" {
				t.Errorf("content = %q", got)
			}
		})
	}
}

func testMissingParent(t *testing.T, e *env) {
	deep := e.path("a/b/c")
	err := e.tr.WriteFile(e.ctx(), deep+"/f", []byte("x"), 0o644)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("write into missing directory: %v, want fs.ErrNotExist", err)
	}
	e.namesHost(err)
	for range 2 { // the second time, everything exists already
		if err := e.tr.MkdirAll(e.ctx(), deep, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := e.tr.Stat(e.ctx(), deep)
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o750 {
		t.Errorf("Stat(%s) = %v, %v; want a directory with mode 0750", deep, fi.Mode(), err)
	}
	if err := e.tr.WriteFile(e.ctx(), deep+"/f", []byte("x"), 0o644); err != nil {
		t.Errorf("write after MkdirAll: %v", err)
	}
	if err := e.tr.MkdirAll(e.ctx(), deep+"/f/g", 0o755); err == nil {
		t.Errorf("MkdirAll through a file succeeded")
	}
}

func testNotExist(t *testing.T, e *env) {
	missing := e.path("missing")
	_, statErr := e.tr.Stat(e.ctx(), missing)
	_, readErr := e.tr.ReadFile(e.ctx(), missing)
	_, listErr := e.tr.ReadDir(e.ctx(), missing)
	removeErr := e.tr.Remove(e.ctx(), missing)
	for op, err := range map[string]error{"stat": statErr, "read": readErr, "list": listErr, "remove": removeErr} {
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s of a missing file: %v, want fs.ErrNotExist", op, err)
		}
		e.namesHost(err)
	}
}

func testRemove(t *testing.T, e *env) {
	e.write("f", "x", 0o644)
	if err := e.tr.MkdirAll(e.ctx(), e.path("d"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"f", "d"} {
		if err := e.tr.Remove(e.ctx(), e.path(name)); err != nil {
			t.Errorf("remove %s: %v", name, err)
		}
		if _, err := e.tr.Stat(e.ctx(), e.path(name)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s after Remove: %v, want fs.ErrNotExist", name, err)
		}
	}
}

func testReadDir(t *testing.T, e *env) {
	for _, n := range []string{"c", "a", "b"} {
		e.write(n, n, 0o644)
	}
	infos, err := e.tr.ReadDir(e.ctx(), e.dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, fi := range infos {
		names = append(names, fi.Name())
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, names); diff != "" {
		t.Errorf("ReadDir (-want +got):\n%s", diff)
	}
}

func testUpload(t *testing.T, e *env) {
	local := filepath.Join(t.TempDir(), "tool")
	script := "#!/bin/sh\necho uploaded \"$@\"\n"
	if err := os.WriteFile(local, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := e.tr.Upload(e.ctx(), local, e.path("tool"), 0o755); err != nil {
		t.Fatal(err)
	}
	if res := e.run(e.path("tool") + " ok"); string(res.Stdout) != "uploaded ok\n" {
		t.Errorf("running the uploaded tool: %+v", res)
	}
	err := e.tr.Upload(e.ctx(), filepath.Join(t.TempDir(), "missing"), e.path("x"), 0o755)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("upload of a missing local file: %v, want fs.ErrNotExist", err)
	}
}
