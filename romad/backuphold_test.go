package romad

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/status"
)

// TestScheduledBackupHeldInMaintenance: a scheduled backup that falls due
// while the cluster is in maintenance (roma restore, or the operator's
// own) waits for its end, since it could take partitions half restored;
// then it runs. And with no status node to take its record, romad goes
// by its own last run, rather than starting another backup at once, and
// again. Real redis-servers; the backups go into a real directory.
func TestScheduledBackupHeldInMaintenance(t *testing.T) {
	p := newPair(t, "bk", "backup-hold-test-password", "1s")
	dir := t.TempDir()
	p.spec.Backup = &cluster.Backup{Every: time.Hour, Keep: 5, Host: "h", Dir: dir}
	ctx := context.Background()
	maintKey, recKey := status.MaintenanceKey("bk"), status.BackupKey("bk")
	if err := p.status.Set(ctx, maintKey, "moving disks", 0).Err(); err != nil {
		t.Fatal(err)
	}
	runRomad(t, p.spec)
	backups := func() int {
		es, err := os.ReadDir(filepath.Join(dir, "bk"))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		return len(es)
	}

	time.Sleep(3 * time.Second)
	if n, err := p.status.Exists(ctx, recKey).Result(); err != nil || n != 0 || backups() != 0 {
		t.Fatalf("in maintenance, 3s after a backup fell due: record %d (%v), %d backups in the store; want none", n, err, backups())
	}

	if err := p.status.Del(ctx, maintKey).Err(); err != nil {
		t.Fatal(err)
	}
	var rec status.Backup
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if b, err := p.status.Get(ctx, recKey).Bytes(); err == nil && json.Unmarshal(b, &rec) == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no scheduled backup recorded within 20s of the maintenance's end")
		}
	}
	if !rec.OK || backups() != 1 {
		t.Fatalf("after the maintenance: record %+v, %d backups in the store; want one, ok", rec, backups())
	}
	if _, err := os.Stat(filepath.Join(dir, "bk", rec.ID, "manifest.json")); err != nil {
		t.Errorf("the backup's manifest: %v", err)
	}

	// The status node gone, nothing says the backup was taken but romad.
	p.st.Kill(t)
	time.Sleep(3 * time.Second)
	if n := backups(); n != 1 {
		t.Errorf("%d backups in the store 3s after the status node went; want still 1", n)
	}
}
