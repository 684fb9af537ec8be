package remote

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"path"
	"strings"
	"syscall"
)

// tempMarker is in the name of every temporary file an atomic write makes,
// beside its target: ".<name>.roma-tmp-<random>".
const tempMarker = ".roma-tmp-"

// IsTempName reports whether a file name is one of the temporary files an
// atomic write makes (and removes again).
func IsTempName(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, tempMarker)
}

// atomicFS is the little a filesystem must do for atomicWrite.
type atomicFS interface {
	createExcl(name string) (atomicFile, error)
	rename(oldname, newname string) error
	remove(name string) error
}

// atomicFile is a freshly created temporary file.
type atomicFile interface {
	fill(r io.Reader) error
	Chmod(mode fs.FileMode) error
	Sync() error
	Close() error
}

// atomicWrite replaces target with r's content: temporary file beside it,
// mode set before any byte is written (so secrets are never readable by
// others), fsync, rename. On failure the temporary file is removed and the
// target is untouched; when even the removal fails (the connection is
// gone), left names the temporary file so the caller can try again.
func atomicWrite(ctx context.Context, fsys atomicFS, target string, r io.Reader, mode fs.FileMode) (left string, err error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	dir, base := path.Split(target)
	tmp := dir + "." + base + tempMarker + randomSuffix()
	f, err := fsys.createExcl(tmp)
	if err != nil {
		return "", err
	}
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				f.Close()
			}
			if rerr := fsys.remove(tmp); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				left = tmp
			}
		}
	}()
	if err := f.Chmod(mode.Perm()); err != nil {
		return "", err
	}
	if err := f.fill(ctxReader{ctx: ctx, r: r}); err != nil {
		// Once ctx ended, a failure is its consequence, except a full
		// disk: that is never caused by the end of an operation, and it
		// is what the operator must hear (the caller may have cancelled
		// because another write, to the same disk, failed first).
		if ctx.Err() != nil && !errors.Is(err, syscall.ENOSPC) {
			return "", ctx.Err()
		}
		return "", err
	}
	if err := f.Sync(); err != nil {
		return "", err
	}
	closed = true
	if err := f.Close(); err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return "", fsys.rename(tmp, target)
}

func randomSuffix() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ContextReader returns a reader of r that stops reading once ctx is
// done, for copies that must end with their operation.
func ContextReader(ctx context.Context, r io.Reader) io.Reader { return ctxReader{ctx, r} }

// ctxReader stops reading once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
