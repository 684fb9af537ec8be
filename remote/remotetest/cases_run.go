package remotetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/roma-redis/roma/remote"
)

func testRunExitCodes(t *testing.T, e *env) {
	type outcome struct {
		Stdout, Stderr string
		ExitCode       int
	}
	tests := []struct {
		name string
		cmd  string
		want outcome
	}{
		{"true", "true", outcome{}},
		{"stdout and stderr", "echo out; echo err >&2", outcome{Stdout: "out\n", Stderr: "err\n"}},
		{"exit 3", "echo out; echo err >&2; exit 3", outcome{"out\n", "err\n", 3}},
		{"exit 1", "false", outcome{ExitCode: 1}},
		{"killed by signal", "kill -9 $$", outcome{ExitCode: 137}},
		{"pipeline status", "true | exit 5", outcome{ExitCode: 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.run(tc.cmd)
			got := outcome{string(res.Stdout), string(res.Stderr), res.ExitCode}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Run(%q) (-want +got):\n%s", tc.cmd, diff)
			}
		})
	}
	t.Run("command not found", func(t *testing.T) {
		res := e.run("roma-no-such-command --flag")
		if res.ExitCode != 127 {
			t.Errorf("exit code = %d, want 127", res.ExitCode)
		}
		if err := res.Err(); !errors.Is(err, remote.ErrCommandNotFound) {
			t.Errorf("Result.Err() = %v, want ErrCommandNotFound", err)
		}
		_, err := remote.Output(e.ctx(), e.tr, "roma-no-such-command")
		if !errors.Is(err, remote.ErrCommandNotFound) {
			t.Errorf("Output error = %v, want ErrCommandNotFound", err)
		}
		e.namesHost(err)
	})
}

func testRunStdin(t *testing.T, e *env) {
	in := strings.Repeat("line\n", 10000)
	res, err := e.tr.Run(e.ctx(), "wc -l", remote.WithStdin(strings.NewReader(in)))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(res.Stdout)); got != "10000" {
		t.Errorf("wc -l of stdin = %q, want 10000", got)
	}
}

// testRunTimeoutKills checks that a deadline ends Run promptly and kills
// the command and what it started in the background.
func testRunTimeoutKills(t *testing.T, e *env) {
	fg, bg := uniqueSleep(), uniqueSleep()
	for bg == fg {
		bg = uniqueSleep()
	}
	cmd := fmt.Sprintf("%s & %s; wait", bg, fg)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := e.tr.Run(ctx, cmd)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Run(%q) with a 300ms deadline took %v", cmd, took)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run error = %v, want context.DeadlineExceeded", err)
	}
	e.namesHost(err)
	for _, sleep := range []string{fg, bg} {
		deadline := time.Now().Add(5 * time.Second)
		for {
			res := e.run(fmt.Sprintf("pgrep -fx '%s'", sleep))
			if res.ExitCode == 1 {
				break // no such process
			}
			if time.Now().After(deadline) {
				t.Fatalf("%q still running after cancel: pids %s", sleep, res.Stdout)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// A cancelled context fails at once, before running anything.
	if _, err := e.tr.Run(ctx, "true"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run with an expired context = %v, want context.DeadlineExceeded", err)
	}
}

func testConcurrent(t *testing.T, e *env) {
	const n = 24
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := e.ctx()
			name := e.path(fmt.Sprintf("f%d", i))
			want := strings.Repeat(fmt.Sprint(i), 1000+i)
			if err := e.tr.WriteFile(ctx, name, []byte(want), 0o644); err != nil {
				errs <- err
				return
			}
			got, err := e.tr.ReadFile(ctx, name)
			if err != nil || string(got) != want {
				errs <- fmt.Errorf("read back %s: %v (%d bytes)", name, err, len(got))
				return
			}
			out, err := remote.Output(ctx, e.tr, fmt.Sprintf("echo %d; wc -c < %s", i, name))
			if fields := strings.Fields(string(out)); err != nil || len(fields) != 2 || fields[0] != fmt.Sprint(i) || fields[1] != fmt.Sprint(len(want)) {
				errs <- fmt.Errorf("run %d: %q, %v", i, out, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
