package hash

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// testProgram copies testdata/prog.sh to a temporary directory, executable,
// so the test does not depend on the mode git gave the file.
func testProgram(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile("testdata/prog.sh")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "prog.sh")
	if err := os.WriteFile(path, src, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestExec(t *testing.T) {
	prog := testProgram(t)
	tests := map[string]struct {
		key     string
		n       int
		want    int
		wantErr string // the message after "hash program PROG, key KEY: "
		is      error
	}{
		"good answer":     {key: "good", n: 4, want: 2},
		"spaces":          {key: "spaces", n: 4, want: 3},
		"computed":        {key: "anything", n: 1, want: 0},
		"not a number":    {key: "nan", n: 4, wantErr: `bad answer: "abc" is not a partition number`, is: ErrBadAnswer},
		"no output":       {key: "empty", n: 4, wantErr: "bad answer: no output", is: ErrBadAnswer},
		"out of range":    {key: "range", n: 4, wantErr: "bad answer: 4 is outside partitions 0..3", is: ErrBadAnswer},
		"negative":        {key: "neg", n: 4, wantErr: "bad answer: -1 is outside partitions 0..3", is: ErrBadAnswer},
		"too much output": {key: "big", n: 4, wantErr: "bad answer: more than 1024 bytes of output", is: ErrBadAnswer},
		"non-zero exit":   {key: "fail", n: 4, wantErr: "exit status 3: boom: disk on fire"},
		"silent failure":  {key: "quiet", n: 4, wantErr: "exit status 4"},
		"NUL in key":      {key: "a\x00b", n: 4, wantErr: "the key holds a NUL byte, which a program argument cannot"},
	}
	f := mustNew(t, "exec:"+prog)
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := f.Partition([]byte(tt.key), tt.n)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Errorf("Partition(%q, %d) = %d, %v; want %d", tt.key, tt.n, got, err, tt.want)
				}
				return
			}
			want := "hash program " + prog + ", key " + strconv.Quote(tt.key) + ": " + tt.wantErr
			if err == nil || err.Error() != want {
				t.Errorf("Partition(%q) error:\n got %v\nwant %s", tt.key, err, want)
			}
			var ee *ExecError
			if !errors.As(err, &ee) || string(ee.Key) != tt.key || ee.Program != prog {
				t.Errorf("error %#v is not an ExecError for the key", err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
		})
	}
}

func TestExecTimeout(t *testing.T) {
	f := &Exec{Program: testProgram(t), Timeout: 200 * time.Millisecond}
	start := time.Now()
	_, err := f.Partition([]byte("sleep"), 4)
	if !errors.Is(err, ErrTimeout) || !errMatches(err, `key "sleep": timed out: no answer within 200ms, killed`) {
		t.Errorf("error = %v, want a timeout", err)
	}
	// The script's sleep is a child of the shell: the whole process group
	// must die, or we would wait for it.
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("timed-out program took %s to stop", d)
	}
}

func TestExecCanceled(t *testing.T) {
	f := &Exec{Program: testProgram(t)}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := f.PartitionContext(ctx, []byte("sleep"), 4); !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrTimeout) {
		t.Errorf("error = %v, want the caller's context error", err)
	}
}

func TestExecProgramGone(t *testing.T) {
	prog := testProgram(t)
	f := mustNew(t, "exec:"+prog)
	if err := os.Remove(prog); err != nil {
		t.Fatal(err)
	}
	_, err := f.Partition([]byte("good"), 4)
	if !errors.Is(err, ErrProgramNotFound) || !errMatches(err, "hash program "+prog+`, key "good": not found`) {
		t.Errorf("error = %v, want ErrProgramNotFound", err)
	}
}
