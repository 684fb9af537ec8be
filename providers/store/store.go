package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
)

// Store keeps files under one directory.
type Store interface {
	// String names the store in messages: "/var/backups/roma" for a
	// directory here, "db3:/var/backups/roma" for one on a host.
	String() string
	// Put atomically writes name with everything read from r, creating
	// missing directories. When r fails, or ctx ends, before io.EOF,
	// nothing is left at name (a previous file stays as it was).
	Put(ctx context.Context, name string, r io.Reader) error
	// Open opens name for reading; a missing file is an error matching
	// fs.ErrNotExist.
	Open(ctx context.Context, name string) (io.ReadCloser, error)
	// List lists the directory dir ("" for the store's own), sorted by
	// name; a missing directory lists as empty.
	List(ctx context.Context, dir string) ([]Entry, error)
	// Remove removes a file or an empty directory.
	Remove(ctx context.Context, name string) error
}

// Entry is a file or directory in a store.
type Entry struct {
	Name    string // base name
	Dir     bool
	Size    int64
	ModTime time.Time
}

// ErrBadName is a name that is not a clean relative path inside the store.
var ErrBadName = errors.New("not a clean relative name inside the store")

// checkName accepts "a", "a/b.rdb"; it refuses "", "/a", "../a", "a/../b",
// "a//b" and "." (dir may be "" where a directory is meant).
func checkName(name string, dirOK bool) error {
	if name == "" && dirOK {
		return nil
	}
	if name == "" || path.IsAbs(name) || path.Clean(name) != name || name == "." || name == ".." ||
		strings.HasPrefix(name, "../") || strings.Contains(name, "\\") {
		return fmt.Errorf("%q: %w", name, ErrBadName)
	}
	return nil
}

// RemoveAll removes name and everything under it.
func RemoveAll(ctx context.Context, s Store, name string) error {
	if err := checkName(name, false); err != nil {
		return err
	}
	entries, err := s.List(ctx, name)
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := path.Join(name, e.Name)
		if e.Dir {
			err = RemoveAll(ctx, s, p)
		} else {
			err = s.Remove(ctx, p)
		}
		if err != nil {
			return err
		}
	}
	return s.Remove(ctx, name)
}
