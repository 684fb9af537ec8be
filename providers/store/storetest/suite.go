// Package storetest is the conformance suite every backup store passes
// (store.Dir here, store.Host over SFTP in the lab).
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roma-redis/roma/providers/store"
)

// Run runs the suite. newStore returns an empty store for each subtest.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"Large", testLarge},
		{"Replace", testReplace},
		{"FailedPutLeavesNothing", testFailedPut},
		{"CancelledPutLeavesNothing", testCancelledPut},
		{"FailedPutKeepsPrevious", testFailedPutKeepsPrevious},
		{"List", testList},
		{"ListMissing", testListMissing},
		{"OpenMissing", testOpenMissing},
		{"Remove", testRemove},
		{"RemoveAll", testRemoveAll},
		{"BadNames", testBadNames},
		{"Concurrent", testConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

func put(t *testing.T, s store.Store, name string, data []byte) {
	t.Helper()
	if err := s.Put(ctx(t), name, bytes.NewReader(data)); err != nil {
		t.Fatalf("put %s: %v", name, err)
	}
}

func read(t *testing.T, s store.Store, name string) []byte {
	t.Helper()
	rc, err := s.Open(ctx(t), name)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return b
}

func names(t *testing.T, s store.Store, dir string) string {
	t.Helper()
	es, err := s.List(ctx(t), dir)
	if err != nil {
		t.Fatalf("list %q: %v", dir, err)
	}
	var out []string
	for _, e := range es {
		n := e.Name
		if e.Dir {
			n += "/"
		} else {
			n += fmt.Sprintf("(%d)", e.Size)
		}
		out = append(out, n)
	}
	return strings.Join(out, " ")
}

func random(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed+1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func testRoundTrip(t *testing.T, s store.Store) {
	put(t, s, "a/b/c.rdb", []byte("hello"))
	put(t, s, "empty", nil)
	if got := read(t, s, "a/b/c.rdb"); string(got) != "hello" {
		t.Errorf("read %q, want hello", got)
	}
	if got := read(t, s, "empty"); len(got) != 0 {
		t.Errorf("empty file reads %d bytes", len(got))
	}
	if s.String() == "" {
		t.Error("String is empty")
	}
}

func testLarge(t *testing.T, s store.Store) {
	data := random(24<<20+13, 7)
	put(t, s, "big.rdb", data)
	if got := read(t, s, "big.rdb"); !bytes.Equal(got, data) {
		t.Errorf("24 MiB read back differs (len %d, want %d)", len(got), len(data))
	}
}

func testReplace(t *testing.T, s store.Store) {
	put(t, s, "f", []byte("one"))
	put(t, s, "f", []byte("two, longer"))
	if got := read(t, s, "f"); string(got) != "two, longer" {
		t.Errorf("read %q after replace", got)
	}
}

// failingReader returns n bytes and then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

var errBoom = errors.New("source broke")

func testFailedPut(t *testing.T, s store.Store) {
	err := s.Put(ctx(t), "d/partial.rdb", &failingReader{data: random(3<<20, 1), err: errBoom})
	if !errors.Is(err, errBoom) {
		t.Fatalf("put: %v, want the reader's error", err)
	}
	if got := names(t, s, "d"); got != "" {
		t.Errorf("after a failed put the directory holds %s", got)
	}
	if _, err := s.Open(ctx(t), "d/partial.rdb"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("open after failed put: %v, want not exist", err)
	}
}

// blockingReader returns some data and then blocks until its context ends.
type blockingReader struct {
	ctx  context.Context
	sent bool
}

func (b *blockingReader) Read(p []byte) (int, error) {
	if !b.sent {
		b.sent = true
		return copy(p, random(len(p), 3)), nil
	}
	<-b.ctx.Done()
	return 0, b.ctx.Err()
}

func testCancelledPut(t *testing.T, s store.Store) {
	c, cancel := context.WithTimeout(ctx(t), 300*time.Millisecond)
	defer cancel()
	err := s.Put(c, "d/cancelled.rdb", &blockingReader{ctx: c})
	if err == nil {
		t.Fatal("a cancelled put succeeded")
	}
	if got := names(t, s, "d"); got != "" {
		t.Errorf("after a cancelled put the directory holds %s", got)
	}
}

func testFailedPutKeepsPrevious(t *testing.T, s store.Store) {
	put(t, s, "keep", []byte("previous"))
	if err := s.Put(ctx(t), "keep", &failingReader{data: []byte("new"), err: errBoom}); err == nil {
		t.Fatal("failed put succeeded")
	}
	if got := read(t, s, "keep"); string(got) != "previous" {
		t.Errorf("after a failed put: %q, want the previous content", got)
	}
	if got := names(t, s, ""); got != "keep(8)" {
		t.Errorf("store holds %s, want keep(8) only", got)
	}
}

func testList(t *testing.T, s store.Store) {
	put(t, s, "x/b", []byte("12"))
	put(t, s, "x/a", []byte("1"))
	put(t, s, "x/sub/c", []byte("123"))
	if got, want := names(t, s, "x"), "a(1) b(2) sub/"; got != want {
		t.Errorf("list x: %s, want %s", got, want)
	}
	if got, want := names(t, s, ""), "x/"; got != want {
		t.Errorf("list root: %s, want %s", got, want)
	}
	es, _ := s.List(ctx(t), "x")
	if es[0].ModTime.IsZero() || time.Since(es[0].ModTime) > time.Hour {
		t.Errorf("mod time %v", es[0].ModTime)
	}
}

func testListMissing(t *testing.T, s store.Store) {
	es, err := s.List(ctx(t), "nothing/here")
	if err != nil || len(es) != 0 {
		t.Errorf("list of a missing directory: %v, %v; want empty, no error", es, err)
	}
}

func testOpenMissing(t *testing.T, s store.Store) {
	_, err := s.Open(ctx(t), "missing.rdb")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("open missing: %v, want fs.ErrNotExist", err)
	}
}

func testRemove(t *testing.T, s store.Store) {
	put(t, s, "r/f", []byte("1"))
	if err := s.Remove(ctx(t), "r"); err == nil {
		t.Error("removing a non-empty directory succeeded")
	}
	if err := s.Remove(ctx(t), "r/f"); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx(t), "r"); err != nil {
		t.Fatal(err)
	}
	if got := names(t, s, ""); got != "" {
		t.Errorf("after removing: %s", got)
	}
	if err := s.Remove(ctx(t), "r/f"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("removing a missing file: %v, want fs.ErrNotExist", err)
	}
}

func testRemoveAll(t *testing.T, s store.Store) {
	put(t, s, "tree/a", []byte("1"))
	put(t, s, "tree/b/c", []byte("2"))
	put(t, s, "other", []byte("3"))
	if err := store.RemoveAll(ctx(t), s, "tree"); err != nil {
		t.Fatal(err)
	}
	if got := names(t, s, ""); got != "other(1)" {
		t.Errorf("after RemoveAll: %s", got)
	}
}

func testBadNames(t *testing.T, s store.Store) {
	for _, n := range []string{"", "/etc/passwd", "../x", "a/../../x", "a//b", ".", "a/", `a\b`} {
		if err := s.Put(ctx(t), n, strings.NewReader("x")); !errors.Is(err, store.ErrBadName) {
			t.Errorf("put %q: %v, want ErrBadName", n, err)
		}
		if _, err := s.Open(ctx(t), n); !errors.Is(err, store.ErrBadName) {
			t.Errorf("open %q: %v, want ErrBadName", n, err)
		}
		if err := s.Remove(ctx(t), n); !errors.Is(err, store.ErrBadName) {
			t.Errorf("remove %q: %v, want ErrBadName", n, err)
		}
	}
	if _, err := s.List(ctx(t), "../up"); !errors.Is(err, store.ErrBadName) {
		t.Errorf("list ../up: %v, want ErrBadName", err)
	}
}

func testConcurrent(t *testing.T, s store.Store) {
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Put(ctx(t), fmt.Sprintf("c/f%d", i), bytes.NewReader(random(1<<20, uint64(i))))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
		if got := read(t, s, fmt.Sprintf("c/f%d", i)); !bytes.Equal(got, random(1<<20, uint64(i))) {
			t.Errorf("file %d differs", i)
		}
	}
}
