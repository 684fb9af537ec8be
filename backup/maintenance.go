package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/status"
)

// ErrRestoreUnderWay is returned by Run while roma restore holds the
// cluster in maintenance: a backup then could take some partitions as
// they were before the restore and others as restored, or a replica the
// restore has just emptied.
var ErrRestoreUnderWay = errors.New("a restore is under way")

// RestoreError says which restore holds the cluster.
type RestoreError struct {
	Maintenance status.Maintenance
	StatusNode  string // where it was read
}

func (e *RestoreError) Error() string {
	m := e.Maintenance
	return fmt.Sprintf("%v (%s, by %s, since %s, on status node %s): a backup now could hold partitions from before the restore and after it; take it once the restore ends",
		ErrRestoreUnderWay, m.Operation, m.Holder, m.Since.UTC().Format(time.RFC3339), e.StatusNode)
}

func (e *RestoreError) Unwrap() error { return ErrRestoreUnderWay }

// restoreUnderWay reads the maintenance key on every status node and
// returns a *RestoreError when one says a restore holds the cluster. A
// status node that does not answer is passed over: a backup needs none.
func restoreUnderWay(ctx context.Context, spec *cluster.Spec, cl Clients) error {
	var mu sync.Mutex
	var found *RestoreError
	var wg sync.WaitGroup
	for _, s := range spec.Status {
		wg.Go(func() {
			addr := spec.Addr(s.Host, s.Port)
			c := Clients{Password: cl.Password, Previous: cl.Previous, LocalAddr: cl.LocalAddr, Timeout: 2 * time.Second}.New(addr)
			defer c.Close()
			v, err := c.Get(ctx, status.MaintenanceKey(spec.Name)).Result()
			if err != nil {
				return
			}
			var m status.Maintenance
			if json.Unmarshal([]byte(v), &m) != nil || !strings.HasPrefix(m.Operation, "restore") {
				return // the operator's own maintenance, or another operation's
			}
			mu.Lock()
			defer mu.Unlock()
			if found == nil {
				found = &RestoreError{Maintenance: m, StatusNode: s.Name}
			}
		})
	}
	wg.Wait()
	if found == nil {
		return nil
	}
	return found
}
