package backup

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/providers/alert"
	"github.com/roma-redis/roma/status"
)

func TestDue(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	spec := &cluster.Spec{Backup: &cluster.Backup{Every: 6 * time.Hour}}
	tests := map[string]struct {
		spec *cluster.Spec
		last *status.Backup
		now  time.Time
		want bool
	}{
		"no backup block":        {&cluster.Spec{}, nil, t0, false},
		"never":                  {spec, nil, t0, true},
		"ok, too soon":           {spec, &status.Backup{Time: t0, OK: true}, t0.Add(5 * time.Hour), false},
		"ok, every later":        {spec, &status.Backup{Time: t0, OK: true}, t0.Add(6 * time.Hour), true},
		"failed, retried sooner": {spec, &status.Backup{Time: t0}, t0.Add(RetryAfterFailure), true},
		"failed, just now":       {spec, &status.Backup{Time: t0}, t0.Add(time.Minute), false},
	}
	for name, tt := range tests {
		if got := Due(tt.spec, tt.last, tt.now); got != tt.want {
			t.Errorf("%s: Due = %v, want %v", name, got, tt.want)
		}
	}
}

func TestLocalStore(t *testing.T) {
	spec := &cluster.Spec{Backup: &cluster.Backup{Host: "db3", Dir: "/var/backups/roma"}}
	if st, err := LocalStore(spec, "db3"); err != nil || st.String() != "/var/backups/roma" {
		t.Errorf("on db3: %v, %v", st, err)
	}
	if _, err := LocalStore(spec, "db1"); !errors.Is(err, ErrStoreElsewhere) {
		t.Errorf("on db1: %v, want ErrStoreElsewhere", err)
	}
}

// TestScheduled: the record for the status, retention, and the alert of
// a failure.
func TestScheduled(t *testing.T) {
	c := newTestCluster(t, []int{0})
	c.nodes[0][0].fill(t, 2)
	c.spec.Backup = &cluster.Backup{Every: time.Hour, Keep: 2, Host: "h1", Dir: t.TempDir()}
	st, err := LocalStore(c.spec, "h1")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var last *status.Backup
	for range 3 {
		last, err = Scheduled(ctx, c.spec, st, "127.0.0.1")
		if err != nil || !last.OK || last.ID == "" || last.Duration <= 0 {
			t.Fatalf("scheduled: %+v, %v", last, err)
		}
	}
	all, _ := List(ctx, st, "shop")
	if len(all) != 2 || all[1].ID != last.ID {
		t.Errorf("kept %+v, want the 2 newest", all)
	}
	c.nodes[0][0].Do(ctx, "SHUTDOWN", "NOSAVE")
	rec, err := Scheduled(ctx, c.spec, st, "")
	if err == nil || rec.OK || rec.Error == "" {
		t.Fatalf("with the node down: %+v, %v", rec, err)
	}
	a := FailureAlert(c.spec, "h1:"+c.spec.Backup.Dir, rec, err)
	if a.Kind != alert.KindBackupFailed || !strings.Contains(a.Subject, "[roma shop] scheduled backup failed") ||
		!strings.Contains(a.Body, "partition 0 has no master") || strings.Contains(a.Body, testPassword) {
		t.Errorf("alert %+v", a)
	}
}
