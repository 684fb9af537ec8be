package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/roma-redis/roma/remote"
)

// Dir is a directory on this machine.
type Dir string

// String returns the directory.
func (d Dir) String() string { return string(d) }

func (d Dir) path(name string) string { return filepath.Join(string(d), filepath.FromSlash(name)) }

// Put writes name atomically: a temporary file beside it, synced, then
// renamed over it, and its directory synced.
func (d Dir) Put(ctx context.Context, name string, r io.Reader) (err error) {
	if err := checkName(name, false); err != nil {
		return err
	}
	target := d.path(name)
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	var b [6]byte
	rand.Read(b[:])
	tmp := filepath.Join(dir, "."+filepath.Base(target)+".roma-tmp-"+hex.EncodeToString(b[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := io.CopyBuffer(writerOnly{f}, remote.ContextReader(ctx, r), make([]byte, 256<<10)); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Rename(tmp, target); err != nil {
		return err
	}
	if df, err := os.Open(dir); err == nil {
		df.Sync()
		df.Close()
	}
	return nil
}

// Open opens name.
func (d Dir) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := checkName(name, false); err != nil {
		return nil, err
	}
	return os.Open(d.path(name))
}

// List lists the directory dir.
func (d Dir) List(ctx context.Context, dir string) ([]Entry, error) {
	if err := checkName(dir, true); err != nil {
		return nil, err
	}
	des, err := os.ReadDir(d.path(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(des))
	for _, de := range des {
		fi, err := de.Info()
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, Entry{Name: de.Name(), Dir: fi.IsDir(), Size: fi.Size(), ModTime: fi.ModTime()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Remove removes a file or an empty directory.
func (d Dir) Remove(ctx context.Context, name string) error {
	if err := checkName(name, false); err != nil {
		return err
	}
	return os.Remove(d.path(name))
}

// writerOnly hides os.File's ReadFrom, whose small buffer would make
// io.CopyBuffer ignore the large one.
type writerOnly struct{ io.Writer }
