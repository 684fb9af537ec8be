package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"syscall"
	"time"

	"github.com/pkg/sftp"
)

// Stat describes path on the host.
func (s *SSH) Stat(ctx context.Context, p string) (fs.FileInfo, error) {
	var fi fs.FileInfo
	err := s.sftpDo(ctx, "stat", p, func(sc *sftp.Client) (err error) {
		fi, err = sc.Stat(p)
		return err
	})
	return fi, err
}

// ReadFile reads path on the host.
func (s *SSH) ReadFile(ctx context.Context, p string) ([]byte, error) {
	var buf bytes.Buffer
	err := s.sftpDo(ctx, "read", p, func(sc *sftp.Client) error {
		f, err := sc.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = f.WriteTo(&buf)
		return err
	})
	return buf.Bytes(), err
}

// ReadDir lists the directory path on the host, sorted by name.
func (s *SSH) ReadDir(ctx context.Context, p string) ([]fs.FileInfo, error) {
	var infos []fs.FileInfo
	err := s.sftpDo(ctx, "list", p, func(sc *sftp.Client) (err error) {
		infos, err = sc.ReadDir(p)
		return err
	})
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name() < infos[j].Name() })
	return infos, err
}

// WriteFile atomically replaces path on the host with data.
func (s *SSH) WriteFile(ctx context.Context, p string, data []byte, mode fs.FileMode) error {
	return s.WriteFrom(ctx, p, bytes.NewReader(data), mode)
}

// WriteFrom atomically replaces path on the host with r's content, sending
// many SFTP writes at once.
func (s *SSH) WriteFrom(ctx context.Context, p string, r io.Reader, mode fs.FileMode) error {
	return s.atomicWrite(ctx, "write", p, r, mode)
}

// Upload streams the local file localPath to path on the host, atomically.
func (s *SSH) Upload(ctx context.Context, localPath, p string, mode fs.FileMode) error {
	f, err := os.Open(localPath)
	if err != nil {
		return wrap(s.cfg.Host, "upload", p, err)
	}
	defer f.Close()
	return s.atomicWrite(ctx, "upload", p, f, mode)
}

func (s *SSH) atomicWrite(ctx context.Context, op, p string, r io.Reader, mode fs.FileMode) error {
	var left string
	err := s.sftpDo(ctx, op, p, func(sc *sftp.Client) (err error) {
		left, err = atomicWrite(ctx, sftpFS{sc}, p, r, mode)
		return err
	})
	if left != "" {
		if rerr := s.removeLeftover(left); rerr != nil {
			err = fmt.Errorf("%w; the temporary file %s is left behind: remove it once the host is back", err, left)
		}
	}
	return err
}

// leftoverTimeout bounds the removal of a temporary file that a failed
// write could not remove over its broken connection.
const leftoverTimeout = 5 * time.Second

// removeLeftover removes the temporary file tmp, left behind when a write
// failed with its connection, over a new connection.
func (s *SSH) removeLeftover(tmp string) error {
	ctx, cancel := context.WithTimeout(context.Background(), leftoverTimeout)
	defer cancel()
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		err = s.sftpDo(ctx, "remove", tmp, func(sc *sftp.Client) error { return sc.Remove(tmp) })
		if err == nil || errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if !errors.Is(err, ErrConnLost) {
			break
		}
		s.dropConn()
	}
	return err
}

// MkdirAll creates path and any missing parents on the host with mode.
func (s *SSH) MkdirAll(ctx context.Context, p string, mode fs.FileMode) error {
	return s.sftpDo(ctx, "mkdir", p, func(sc *sftp.Client) error {
		return sftpMkdirAll(sc, path.Clean(p), mode)
	})
}

func sftpMkdirAll(sc *sftp.Client, p string, mode fs.FileMode) error {
	fi, err := sc.Stat(p)
	if err == nil {
		if !fi.IsDir() {
			return syscall.ENOTDIR
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if parent := path.Dir(p); parent != p {
		if err := sftpMkdirAll(sc, parent, mode); err != nil {
			return err
		}
	}
	if err := sc.Mkdir(p); err != nil {
		if fi, serr := sc.Stat(p); serr == nil && fi.IsDir() {
			return nil // made meanwhile by someone else
		}
		return err
	}
	return sc.Chmod(p, mode.Perm())
}

// Remove removes a file or an empty directory on the host.
func (s *SSH) Remove(ctx context.Context, p string) error {
	return s.sftpDo(ctx, "remove", p, func(sc *sftp.Client) error {
		return sc.Remove(p)
	})
}

// sftpDo runs fn with the SFTP client under ctx and wraps its error.
func (s *SSH) sftpDo(ctx context.Context, op, p string, fn func(*sftp.Client) error) error {
	if err := ctx.Err(); err != nil {
		return wrap(s.cfg.Host, op, p, err)
	}
	c, sc, err := s.sftpClient(ctx)
	if err != nil {
		return err
	}
	err = s.do(ctx, c, func() error { return fn(sc) })
	return s.lost(c, op, p, sftpError(err))
}

// sftpError makes SFTP status codes match fs.ErrNotExist and friends, and
// drops *fs.PathError, whose op and path OpError repeats.
func sftpError(err error) error {
	err = unwrapPathError(err)
	var se *sftp.StatusError
	if errors.As(err, &se) {
		switch se.FxCode() {
		case sftp.ErrSSHFxNoSuchFile:
			return fs.ErrNotExist
		case sftp.ErrSSHFxPermissionDenied:
			return fs.ErrPermission
		}
	}
	return err
}

type sftpFS struct{ sc *sftp.Client }

func (f sftpFS) createExcl(name string) (atomicFile, error) {
	file, err := f.sc.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return nil, err
	}
	return sftpFile{File: file, sc: f.sc, dir: path.Dir(name)}, nil
}

func (f sftpFS) rename(oldname, newname string) error {
	if _, ok := f.sc.HasExtension("posix-rename@openssh.com"); ok {
		return f.sc.PosixRename(oldname, newname)
	}
	return f.sc.Rename(oldname, newname)
}

func (f sftpFS) remove(name string) error { return sftpError(f.sc.Remove(name)) }

type sftpFile struct {
	*sftp.File
	sc  *sftp.Client
	dir string
}

// fill writes r with concurrent requests. SFTP reports a full disk as a
// bare "Failure", so on failure it asks statvfs whether space ran out.
func (f sftpFile) fill(r io.Reader) error {
	_, err := f.ReadFromWithConcurrency(r, 0)
	if err == nil {
		return nil
	}
	var se *sftp.StatusError
	if errors.As(err, &se) && se.FxCode() == sftp.ErrSSHFxFailure {
		if st, serr := f.sc.StatVFS(f.dir); serr == nil && spaceRanOut(st.Bavail*st.Frsize, st.Favail) {
			return fmt.Errorf("%w: %s has %d bytes free: free some space on the host", syscall.ENOSPC, f.dir, st.Bavail*st.Frsize)
		}
	}
	return err
}

// nearlyFull is the free space under which a write's bare "Failure" is
// taken for a full disk. Exactly none is free when the write failed; but
// by the time statvfs answers, other writers to the same disk may have
// failed too and removed their temporary files (a backup writes every
// partition at once), and the space they freed is not the cause.
const nearlyFull = 1 << 20

// spaceRanOut reports whether a file system with free bytes and
// freeFiles inodes available explains a failed write.
func spaceRanOut(free, freeFiles uint64) bool { return free < nearlyFull || freeFiles == 0 }

// Sync flushes to disk where the server supports fsync@openssh.com.
func (f sftpFile) Sync() error {
	err := f.File.Sync()
	var se *sftp.StatusError
	if errors.As(err, &se) && se.FxCode() == sftp.ErrSSHFxOpUnsupported {
		return nil
	}
	return err
}
