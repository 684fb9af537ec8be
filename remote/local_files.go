package remote

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// Stat describes path on this machine.
func (l *Local) Stat(ctx context.Context, path string) (fs.FileInfo, error) {
	fi, err := os.Stat(path)
	return fi, wrap(l.name, "stat", path, unwrapPathError(err))
}

// ReadFile reads path on this machine.
func (l *Local) ReadFile(ctx context.Context, path string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, wrap(l.name, "read", path, err)
	}
	b, err := os.ReadFile(path)
	return b, wrap(l.name, "read", path, unwrapPathError(err))
}

// ReadDir lists the directory path on this machine, sorted by name.
func (l *Local) ReadDir(ctx context.Context, path string) ([]fs.FileInfo, error) {
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, wrap(l.name, "list", path, unwrapPathError(err))
	}
	infos := make([]fs.FileInfo, 0, len(entries))
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			continue // removed since listing
		}
		infos = append(infos, fi)
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name() < infos[j].Name() })
	return infos, nil
}

// WriteFile atomically replaces path with data.
func (l *Local) WriteFile(ctx context.Context, path string, data []byte, mode fs.FileMode) error {
	return l.WriteFrom(ctx, path, bytes.NewReader(data), mode)
}

// WriteFrom atomically replaces path with r's content.
func (l *Local) WriteFrom(ctx context.Context, path string, r io.Reader, mode fs.FileMode) error {
	_, err := atomicWrite(ctx, localFS{}, path, r, mode)
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	return wrap(l.name, "write", path, unwrapPathError(err))
}

// Upload copies the local file localPath to path atomically.
func (l *Local) Upload(ctx context.Context, localPath, path string, mode fs.FileMode) error {
	f, err := os.Open(localPath)
	if err != nil {
		return wrap(l.name, "upload", path, err)
	}
	defer f.Close()
	_, err = atomicWrite(ctx, localFS{}, path, f, mode)
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	return wrap(l.name, "upload", path, unwrapPathError(err))
}

// MkdirAll creates path and its missing parents.
func (l *Local) MkdirAll(ctx context.Context, path string, mode fs.FileMode) error {
	return wrap(l.name, "mkdir", path, unwrapPathError(os.MkdirAll(path, mode)))
}

// Remove removes a file or an empty directory.
func (l *Local) Remove(ctx context.Context, path string) error {
	return wrap(l.name, "remove", path, unwrapPathError(os.Remove(path)))
}

// unwrapPathError drops *fs.PathError, whose op and path the OpError
// around it repeats.
func unwrapPathError(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

type localFS struct{}

func (localFS) createExcl(name string) (atomicFile, error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	return localFile{f}, nil
}

func (localFS) rename(oldname, newname string) error { return os.Rename(oldname, newname) }
func (localFS) remove(name string) error             { return os.Remove(name) }

type localFile struct{ *os.File }

func (f localFile) fill(r io.Reader) error {
	_, err := io.Copy(f.File, r)
	return err
}
