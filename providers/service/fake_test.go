package service

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"github.com/roma-redis/roma/remote"
)

// fakeHost is a remote.Transport for unit tests of the command sequences
// managers run: it records every operation and answers commands from a
// script. Files live in a map.
type fakeHost struct {
	files   map[string]string
	answers []answer // the first answer whose command contains match is used
	calls   []string // what was done, in order
}

type answer struct {
	match string
	res   remote.Result
	err   error
}

func newFakeHost(files map[string]string, answers ...answer) *fakeHost {
	if files == nil {
		files = map[string]string{}
	}
	return &fakeHost{files: files, answers: answers}
}

func (f *fakeHost) Name() string { return "db1" }
func (f *fakeHost) Close() error { return nil }

// Run records cmd without the systemd guard that starts every systemd
// script (TestSystemdGuard checks the guard itself).
func (f *fakeHost) Run(ctx context.Context, cmd string, opts ...remote.RunOption) (remote.Result, error) {
	f.calls = append(f.calls, "run "+strings.TrimPrefix(cmd, systemdGuard))
	for _, a := range f.answers {
		if strings.Contains(cmd, a.match) {
			return a.res, a.err
		}
	}
	return remote.Result{}, nil
}

func (f *fakeHost) notExist(op, path string) error {
	return &remote.OpError{Host: f.Name(), Op: op, Path: path, Err: fs.ErrNotExist}
}

func (f *fakeHost) Stat(ctx context.Context, path string) (fs.FileInfo, error) {
	f.calls = append(f.calls, "stat "+path)
	data, ok := f.files[path]
	if !ok {
		return nil, f.notExist("stat", path)
	}
	return fakeInfo{name: path, size: int64(len(data))}, nil
}

func (f *fakeHost) ReadFile(ctx context.Context, path string) ([]byte, error) {
	f.calls = append(f.calls, "read "+path)
	data, ok := f.files[path]
	if !ok {
		return nil, f.notExist("read", path)
	}
	return []byte(data), nil
}

func (f *fakeHost) ReadDir(ctx context.Context, path string) ([]fs.FileInfo, error) {
	f.calls = append(f.calls, "list "+path)
	return nil, nil
}

func (f *fakeHost) WriteFile(ctx context.Context, path string, data []byte, mode fs.FileMode) error {
	f.calls = append(f.calls, fmt.Sprintf("write %s %#o", path, mode))
	f.files[path] = string(data)
	return nil
}

func (f *fakeHost) WriteFrom(ctx context.Context, path string, r io.Reader, mode fs.FileMode) error {
	var b bytes.Buffer
	if _, err := io.Copy(&b, r); err != nil {
		return err
	}
	return f.WriteFile(ctx, path, b.Bytes(), mode)
}

func (f *fakeHost) MkdirAll(ctx context.Context, path string, mode fs.FileMode) error {
	f.calls = append(f.calls, fmt.Sprintf("mkdir %s %#o", path, mode))
	return nil
}

func (f *fakeHost) Remove(ctx context.Context, path string) error {
	f.calls = append(f.calls, "remove "+path)
	if _, ok := f.files[path]; !ok {
		return f.notExist("remove", path)
	}
	delete(f.files, path)
	return nil
}

func (f *fakeHost) Upload(ctx context.Context, localPath, path string, mode fs.FileMode) error {
	f.calls = append(f.calls, fmt.Sprintf("upload %s %s %#o", localPath, path, mode))
	return nil
}

type fakeInfo struct {
	name string
	size int64
}

func (i fakeInfo) Name() string       { return i.name }
func (i fakeInfo) Size() int64        { return i.size }
func (i fakeInfo) Mode() fs.FileMode  { return 0o644 }
func (i fakeInfo) ModTime() time.Time { return time.Time{} }
func (i fakeInfo) IsDir() bool        { return false }
func (i fakeInfo) Sys() any           { return nil }

var _ remote.Transport = (*fakeHost)(nil)
