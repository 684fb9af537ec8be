package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
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
	onStatusNodes(ctx, spec, cl, func(s cluster.StatusNode, c *redis.Client) {
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
	if found == nil {
		return nil
	}
	return found
}

// onStatusNodes runs f on every status node of spec at once, each with a
// client of its own (cl, with 2s timeouts), and returns when all are done.
func onStatusNodes(ctx context.Context, spec *cluster.Spec, cl Clients, f func(cluster.StatusNode, *redis.Client)) {
	cl.Timeout = 2 * time.Second
	var wg sync.WaitGroup
	for _, s := range spec.Status {
		wg.Go(func() {
			c := cl.New(spec.Addr(s.Host, s.Port))
			defer c.Close()
			f(s, c)
		})
	}
	wg.Wait()
}
