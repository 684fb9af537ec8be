package store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"path"

	"github.com/roma-redis/roma/remote"
)

// Host is a directory on a host of roma.hcl, reached through its
// transport: over SFTP for an SSH host. Writes are the transport's atomic
// writes.
type Host struct {
	T   remote.Transport
	Dir string // absolute path on the host
}

// OnHost returns the store in directory dir of the host t reaches.
func OnHost(t remote.Transport, dir string) *Host { return &Host{T: t, Dir: path.Clean(dir)} }

// String returns "host:dir".
func (h *Host) String() string { return h.T.Name() + ":" + h.Dir }

func (h *Host) path(name string) string { return path.Join(h.Dir, name) }

// Put writes name atomically on the host, streaming r.
func (h *Host) Put(ctx context.Context, name string, r io.Reader) error {
	if err := checkName(name, false); err != nil {
		return err
	}
	p := h.path(name)
	if err := h.T.MkdirAll(ctx, path.Dir(p), 0o750); err != nil {
		return err
	}
	return h.T.WriteFrom(ctx, p, r, 0o640)
}

// Opener is a transport that reads a file as a stream. Transports
// without it are read whole (remote.FileReader.ReadFile).
type Opener interface {
	Open(ctx context.Context, path string) (io.ReadCloser, error)
}

// Open opens name on the host.
func (h *Host) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := checkName(name, false); err != nil {
		return nil, err
	}
	if o, ok := h.T.(Opener); ok {
		return o.Open(ctx, h.path(name))
	}
	b, err := h.T.ReadFile(ctx, h.path(name))
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// List lists the directory dir on the host.
func (h *Host) List(ctx context.Context, dir string) ([]Entry, error) {
	if err := checkName(dir, true); err != nil {
		return nil, err
	}
	fis, err := h.T.ReadDir(ctx, h.path(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(fis))
	for _, fi := range fis {
		out = append(out, Entry{Name: fi.Name(), Dir: fi.IsDir(), Size: fi.Size(), ModTime: fi.ModTime()})
	}
	return out, nil
}

// Remove removes a file or an empty directory on the host.
func (h *Host) Remove(ctx context.Context, name string) error {
	if err := checkName(name, false); err != nil {
		return err
	}
	return h.T.Remove(ctx, h.path(name))
}
