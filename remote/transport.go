package remote

import (
	"context"
	"io"
	"io/fs"
)

// Runner runs shell commands on a host.
type Runner interface {
	// Run runs cmd with the host's shell (sh -c). A non-zero exit status is
	// reported in Result.ExitCode, not as an error; the error is for
	// transport failures. Cancelling ctx kills the command.
	Run(ctx context.Context, cmd string, opts ...RunOption) (Result, error)
}

// FileReader reads files and directories on a host.
type FileReader interface {
	// Stat describes path; a missing path gives an error matching fs.ErrNotExist.
	Stat(ctx context.Context, path string) (fs.FileInfo, error)
	// ReadFile returns the whole content of path.
	ReadFile(ctx context.Context, path string) ([]byte, error)
	// ReadDir lists the directory path, sorted by name.
	ReadDir(ctx context.Context, path string) ([]fs.FileInfo, error)
}

// FileWriter changes files on a host. Writes are atomic: see the package doc.
type FileWriter interface {
	// WriteFile atomically replaces path with data and gives it mode.
	WriteFile(ctx context.Context, path string, data []byte, mode fs.FileMode) error
	// WriteFrom atomically replaces path with everything read from r.
	WriteFrom(ctx context.Context, path string, r io.Reader, mode fs.FileMode) error
	// MkdirAll creates path and any missing parents with mode.
	MkdirAll(ctx context.Context, path string, mode fs.FileMode) error
	// Remove removes a file or an empty directory.
	Remove(ctx context.Context, path string) error
}

// Uploader copies local files, such as binaries, to a host.
type Uploader interface {
	// Upload streams the local file localPath to remotePath atomically.
	Upload(ctx context.Context, localPath, remotePath string, mode fs.FileMode) error
}

// Transport is everything roma does to one host.
type Transport interface {
	// Name is the host's name, used in every error message.
	Name() string
	Runner
	FileReader
	FileWriter
	Uploader
	io.Closer
}

// Result is what a finished command left behind.
type Result struct {
	Stdout   []byte
	Stderr   []byte
	ExitCode int
}

// RunOption changes how Run runs a command.
type RunOption func(*runOptions)

type runOptions struct {
	stdin io.Reader
}

// WithStdin feeds r to the command's standard input.
func WithStdin(r io.Reader) RunOption {
	return func(o *runOptions) { o.stdin = r }
}

func collectRunOptions(opts []RunOption) runOptions {
	var o runOptions
	for _, opt := range opts {
		opt(&o)
	}
	return o
}
