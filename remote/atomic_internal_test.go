package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"syscall"
	"testing"
)

// failingFS is an atomicFS whose one file fails to fill with err, after
// calling during (which may cancel the write's context).
type failingFS struct {
	err     error
	during  func()
	removed []string
}

func (f *failingFS) createExcl(name string) (atomicFile, error) { return failingFile{f}, nil }
func (f *failingFS) rename(oldname, newname string) error {
	return errors.New("renamed a failed write")
}
func (f *failingFS) remove(name string) error {
	f.removed = append(f.removed, name)
	return nil
}

type failingFile struct{ fs *failingFS }

func (f failingFile) fill(r io.Reader) error {
	f.fs.during()
	return f.fs.err
}
func (failingFile) Chmod(fs.FileMode) error { return nil }
func (failingFile) Sync() error             { return nil }
func (failingFile) Close() error            { return nil }

// TestAtomicWriteFullAfterCancel: a write that fails once its context
// ended reports the cancellation, except a full disk, which no
// cancellation causes (a backup cancels its other writers when one fails,
// and the full disk is what the operator must hear). Either way the
// temporary file is removed.
func TestAtomicWriteFullAfterCancel(t *testing.T) {
	full := fmt.Errorf("%w: /var/lib/roma has 0 bytes free", syscall.ENOSPC)
	for _, tc := range []struct {
		name   string
		err    error
		cancel bool
		want   error
	}{
		{"full disk", full, false, syscall.ENOSPC},
		{"full disk after cancel", full, true, syscall.ENOSPC},
		{"other failure after cancel", errors.New("closed pipe"), true, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			fsys := &failingFS{err: tc.err, during: func() {
				if tc.cancel {
					cancel()
				}
			}}
			_, err := atomicWrite(ctx, fsys, "/var/lib/roma/conf", strings.NewReader("x"), 0o600)
			if !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
			if len(fsys.removed) != 1 {
				t.Errorf("removed %v, want the temporary file", fsys.removed)
			}
		})
	}
}

// TestSpaceRanOut: a write's bare SFTP "Failure" is a full disk when
// statvfs then finds less than nearlyFull free (other writers may have
// freed some since), or no inode.
func TestSpaceRanOut(t *testing.T) {
	for _, tc := range []struct {
		free, files uint64
		want        bool
	}{
		{0, 100, true},
		{48 << 10, 100, true}, // another writer's small temporary file, removed
		{nearlyFull - 1, 100, true},
		{nearlyFull, 100, false},
		{10 << 30, 0, true},
		{10 << 30, 100, false},
	} {
		if got := spaceRanOut(tc.free, tc.files); got != tc.want {
			t.Errorf("spaceRanOut(%d bytes, %d inodes) = %v, want %v", tc.free, tc.files, got, tc.want)
		}
	}
}
