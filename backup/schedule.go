package backup

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/providers/alert"
	"github.com/roma-redis/roma/providers/store"
	"github.com/roma-redis/roma/status"
)

// RetryAfterFailure is how soon a scheduled backup that failed is tried
// again (or after every, when that is sooner).
const RetryAfterFailure = 10 * time.Minute

// Due reports whether the schedule roma.hcl declares wants a backup at
// now, given the last scheduled one (nil when there was none): every
// after the last, or RetryAfterFailure after a failed one.
func Due(spec *cluster.Spec, last *status.Backup, now time.Time) bool {
	if spec.Backup == nil || spec.Backup.Every <= 0 {
		return false
	}
	if last == nil || last.Time.IsZero() {
		return true
	}
	wait := spec.Backup.Every
	if !last.OK {
		wait = min(wait, RetryAfterFailure)
	}
	return !now.Before(last.Time.Add(wait))
}

// ErrStoreElsewhere is a scheduled backup asked of a romad that does not
// run on the backup host: romad has no SSH access to other hosts, so it
// writes backups only into a directory of its own host.
var ErrStoreElsewhere = errors.New("the backup store is on another host")

// LocalStore returns the store a romad running on host self writes
// scheduled backups into: the backup block's directory, on this machine,
// when self is the backup host.
func LocalStore(spec *cluster.Spec, self string) (store.Store, error) {
	switch {
	case spec.Backup == nil || spec.Backup.Dir == "":
		return nil, errors.New("roma.hcl declares no backup block")
	case spec.Backup.Host != self:
		return nil, fmt.Errorf("%w: backups go to %s:%s and this romad runs on %s", ErrStoreElsewhere, spec.Backup.Host, spec.Backup.Dir, self)
	}
	return store.Dir(spec.Backup.Dir), nil
}

// Scheduled takes a scheduled backup into st (from localAddr, romad's
// host address), then removes backups beyond the backup block's keep. It
// returns what the status records of it; err is the backup's failure,
// or the pruning's (the backup is then complete and rec.OK).
func Scheduled(ctx context.Context, spec *cluster.Spec, st store.Store, localAddr string) (rec *status.Backup, err error) {
	start := time.Now()
	rec = &status.Backup{Time: start.UTC()}
	m, err := Run(ctx, spec, st, Options{LocalAddr: localAddr})
	rec.Duration = time.Since(start).Seconds()
	if err != nil {
		rec.Error = err.Error()
		return rec, err
	}
	rec.ID, rec.OK = m.ID, true
	if spec.Backup != nil && spec.Backup.Keep > 0 {
		if _, perr := Prune(ctx, st, spec.Name, spec.Backup.Keep); perr != nil {
			rec.Error = "backup complete; removing old backups failed: " + perr.Error()
			return rec, fmt.Errorf("backup %s complete; removing old backups failed: %w", m.ID, perr)
		}
	}
	return rec, nil
}

// FailureAlert is the alert romad sends when a scheduled backup into
// where fails.
func FailureAlert(spec *cluster.Spec, where string, rec *status.Backup, err error) alert.Alert {
	var b strings.Builder
	at := rec.Time.UTC().Format("2006-01-02 15:04:05 MST")
	fmt.Fprintf(&b, "The scheduled backup of cluster %s into %s, started %s, failed after %.1fs:\n\n", spec.Name, where, at, rec.Duration)
	fmt.Fprintf(&b, "  %s\n\n", strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "\n  "))
	if spec.Backup != nil {
		fmt.Fprintf(&b, "romad tries again in %s. ", min(spec.Backup.Every, RetryAfterFailure))
	}
	b.WriteString("Run `roma backup list` to see the backups the store holds, and `roma backup` to take one by hand.\n")
	subject := fmt.Sprintf("[roma %s] scheduled backup failed", spec.Name)
	if rec.OK {
		subject = fmt.Sprintf("[roma %s] backup %s complete, but old backups could not be removed", spec.Name, rec.ID)
	}
	return alert.Alert{Cluster: spec.Name, Kind: alert.KindBackupFailed, Subject: subject, Body: b.String(),
		Time: rec.Time, Incident: "backup-" + NewID(rec.Time)}
}

// Record publishes rec, a backup into the declared store, as the
// cluster's last backup on every status node that holds none begun later
// (status.WriteBackup): roma status shows it, and romad's schedule counts
// from it. It returns how many status nodes hold it or a newer one, and
// the errors of the others.
func Record(ctx context.Context, spec *cluster.Spec, rec *status.Backup) (stored int, err error) {
	var mu sync.Mutex
	var errs []error
	onStatusNodes(ctx, spec, Clients{Password: spec.Password.Reveal(), Previous: spec.Password.Previous().Reveal()}, func(s cluster.StatusNode, c *redis.Client) {
		_, werr := status.WriteBackup(ctx, c, spec.Name, rec)
		mu.Lock()
		defer mu.Unlock()
		if werr != nil {
			errs = append(errs, fmt.Errorf("status node %s: %w", s.Name, werr))
			return
		}
		stored++
	})
	return stored, errors.Join(errs...)
}
