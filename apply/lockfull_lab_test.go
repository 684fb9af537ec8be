package apply_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/roma-redis/roma/apply"
	"github.com/roma-redis/roma/lab"
)

// TestLockOnFullDisk: the lock host's filesystem full, the lock cannot be
// taken, and the error says so: the lock file and the space left. It
// said "printf: I/O error". (A small tmpfs on the lab host, mounted in
// its own mount namespace only, filled up.)
func TestLockOnFullDisk(t *testing.T) {
	l := lab.Shared(t)
	spec := writeConfig(t, t.TempDir(), oneHost{cluster: "lockfull", partitions: 1, root: "/var/lib/roma/lockfull",
		nodes: []oneHostNode{{"f0", 7454, 0}}, statusPort: 7498}.text(l))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	lh := dialHost(t, ctx, spec)
	h, tr := apply.LockHost(spec), lh.tr
	run := func(script string) { t.Helper(); lh.run(ctx, script) }
	runDir := lh.layout.RunDir()
	run("mkdir -p " + runDir + " && mount -t tmpfs -o size=64k tmpfs " + runDir)
	defer func() {
		if res, err := tr.Run(context.Background(), "umount "+runDir+" && rm -rf "+h.Root); err != nil || res.ExitCode != 0 {
			t.Errorf("cleaning up: %v %s", err, res.Stderr)
		}
	}()
	run("dd if=/dev/zero of=" + runDir + "/filler bs=4k 2>/dev/null || true")

	_, err := apply.AcquireLock(ctx, tr, h, "test", 0, 0)
	want := "taking the cluster lock on " + h.Name + ": cannot write the lock file " + runDir + "/apply.lock; its filesystem: 0 KiB free of 64 (100% used)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("taking the lock with its filesystem full: %v; want %q", err, want)
	}

	run("rm " + runDir + "/filler")
	lock, err := apply.AcquireLock(ctx, tr, h, "test", 0, 0)
	if err != nil {
		t.Fatalf("taking the lock once there is room: %v", err)
	}
	if err := lock.Release(); err != nil {
		t.Fatal(err)
	}
}
