package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/apply"
	"github.com/roma-redis/roma/hclspec"
	"github.com/roma-redis/roma/remote"
)

// TestStopSurvivesHangup: roma stop is cut off while it waits for a
// node's save (slowed here: rdb-key-save-delay): by a hangup (SIGHUP, its
// SSH session gone), or by its output pipe closing (SIGPIPE on its next
// write, as `roma stop | head` or a driver that exits). Either signal
// killed roma on the spot, holding the cluster lock until its TTL ran
// out (2 minutes), so that every start, stop and apply meanwhile was
// refused. It must stop as Ctrl-C stops it: the lock released. Found when
// a chaos driver exited under a running roma start. A local one-node
// cluster of real redis-servers, roma run as its own process.
func TestStopSurvivesHangup(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("redis-server is not installed; scripts/deps.sh (make test) installs it")
	}
	const pw = "hangup-test-password"
	dir := t.TempDir()
	src := fmt.Sprintf(`cluster "hup" {
  partitions = 1
  password   = %q
}
host "h" {
  address   = "127.0.0.1"
  transport = "local"
  root      = %q
  service   = "process"
}
node "n0" {
  host      = "h"
  port      = 7482
  partition = 0
}
status "s0" {
  host = "h"
  port = 7483
}
`, pw, filepath.Join(dir, "root"))
	if err := os.WriteFile(filepath.Join(dir, "roma.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := hclspec.Load(dir, hclspec.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	h := cfg.Spec.Hosts[0]
	roma := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("roma", append(args, "-c", dir)...).CombinedOutput(); err != nil {
			t.Fatalf("roma %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	roma("apply", "-auto-approve")
	t.Cleanup(func() { exec.Command("roma", "destroy", "-c", dir, "-auto-approve", "-purge-data").Run() })
	ctx := context.Background()
	n0 := redis.NewClient(&redis.Options{Addr: "127.0.0.1:7482", Password: pw})
	defer n0.Close()
	// 3000 keys saved 1ms each: a save of 3s.
	slow := func() {
		t.Helper()
		pipe := n0.Pipeline()
		for i := range 3000 {
			pipe.Set(ctx, fmt.Sprintf("k%d", i), i, 0)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if err := n0.ConfigSet(ctx, "rdb-key-save-delay", "1000").Err(); err != nil {
			t.Fatal(err)
		}
	}
	lock := func() *apply.LockInfo {
		t.Helper()
		l, err := apply.ReadLock(ctx, remote.NewLocal("h"), h)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}

	for _, tc := range []struct {
		name string
		cut  func(*testing.T, *exec.Cmd, io.Closer)
	}{
		{"SIGHUP", func(t *testing.T, cmd *exec.Cmd, _ io.Closer) {
			if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
		}},
		{"SIGPIPE", func(t *testing.T, _ *exec.Cmd, out io.Closer) { out.Close() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			roma("start")
			slow()
			cmd := exec.Command("roma", "stop", "-c", dir, "-auto-approve")
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if strings.Contains(sc.Text(), "node.n0: stopping") {
					break
				}
			}
			tc.cut(t, cmd, out)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				t.Logf("roma stop, cut off by %s: %v", tc.name, err)
			case <-time.After(time.Minute):
				cmd.Process.Kill()
				t.Fatalf("roma stop did not end within a minute of %s", tc.name)
			}
			if l := lock(); l != nil {
				t.Errorf("after roma stop was cut off by %s, the cluster lock is still held: %+v", tc.name, *l)
				apply.ForceUnlock(ctx, remote.NewLocal("h"), h, l.ID)
			}
			// Canceled during the save, roma stop may not have sent
			// SHUTDOWN: n0 may still run. Stop what runs.
			n0.ConfigSet(ctx, "rdb-key-save-delay", "0")
			roma("stop", "-auto-approve")
		})
	}
}
