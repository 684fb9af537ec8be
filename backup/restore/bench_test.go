package restore_test

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roma-redis/roma/backup"
	"github.com/roma-redis/roma/backup/restore"
	"github.com/roma-redis/roma/plan/plantest"
)

// BenchmarkRestore times roma restore of a backup of the lab cluster's 4
// partitions (ROMA_BENCH_MB of data per partition, default 20: the lab config sets maxmemory 64mb) over SSH:
// verification, staging, loading on the masters and the replicas' full
// resync, reported apart from the backup that precedes it.
//
//	go test ./backup/restore -run '^$' -bench Restore -benchtime 1x
func BenchmarkRestore(b *testing.B) {
	mb := 20
	if v, err := strconv.Atoi(os.Getenv("ROMA_BENCH_MB")); err == nil && v > 0 {
		mb = v
	}
	spec := labCluster(b)
	ctx := testCtx(b)
	ms := masters(b, spec)
	for _, m := range ms {
		c := plantest.NodeClient(spec, m)
		c.FlushAll(ctx)
		value := strings.Repeat("v", 100)
		keys := mb * 1e6 / 130
		for i := 0; i < keys; i += 10000 {
			pipe := c.Pipeline()
			for j := i; j < min(i+10000, keys); j++ {
				pipe.Set(ctx, "bench:{"+m+"}:"+strconv.Itoa(j), value, 0)
			}
			if _, err := pipe.Exec(ctx); err != nil {
				b.Fatal(err)
			}
		}
		c.Close()
	}
	waitReplicas(b, spec)
	st := backupStore(b, spec)
	start := time.Now()
	m, err := backup.Run(ctx, spec, st, backup.Options{})
	if err != nil {
		b.Fatalf("backup: %v", err)
	}
	backupTook := time.Since(start)
	b.ResetTimer()
	var restoreTook time.Duration
	for range b.N {
		p, err := restore.Prepare(ctx, spec, st, m.ID, nil)
		if err != nil {
			b.Fatalf("prepare: %v", err)
		}
		start := time.Now()
		if _, err := restore.Run(ctx, spec, st, p, restore.Options{Dial: plantest.Dial}); err != nil {
			b.Fatalf("restore: %v", err)
		}
		waitReplicas(b, spec)
		restoreTook += time.Since(start)
	}
	b.StopTimer()
	b.ReportMetric(float64(m.Size())/1e6, "MB")
	b.ReportMetric(backupTook.Seconds(), "backup-s")
	b.ReportMetric(restoreTook.Seconds()/float64(b.N), "restore-s")
	b.Logf("4 partitions, %.0f MB in all: backup %s, restore (verify, stage, load, replicas in sync) %s",
		float64(m.Size())/1e6, backupTook.Round(10*time.Millisecond), (restoreTook / time.Duration(b.N)).Round(10*time.Millisecond))
}
