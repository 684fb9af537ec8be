package restore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/status"
)

// MaintenanceKey is the key, on every status node, that says the cluster
// is in maintenance while it exists: roma restore sets it with a TTL and
// renews it, so a restore that dies leaves maintenance within the TTL.
// romad's alpha reads it and then neither fails over nor repoints.
func MaintenanceKey(c string) string { return status.MaintenanceKey(c) }

// MaintenanceTTL is how long the maintenance key outlives its last
// renewal.
const MaintenanceTTL = 2 * time.Minute

// Maintenance is what the key holds.
type Maintenance = status.Maintenance

// maintenance is the cluster held in maintenance by this process.
type maintenance struct {
	spec    *cluster.Spec
	clients map[string]*redis.Client
	value   string
	stop    chan struct{}
	done    chan struct{}
}

// enterMaintenance marks the cluster in maintenance, for an operation on
// partitions (nil: all): the maintenance key
// on every status node (renewed in the background until leave), and the
// published status with Maintenance set, at its epoch. It returns a
// warning when fewer than a majority of status nodes took it.
func enterMaintenance(ctx context.Context, spec *cluster.Spec, operation string, partitions []int) (*maintenance, string) {
	host, _ := os.Hostname()
	b, _ := json.Marshal(Maintenance{Operation: operation, Holder: fmt.Sprintf("roma pid %d on %s", os.Getpid(), host), Since: time.Now().UTC(),
		Partitions: partitions})
	m := &maintenance{spec: spec, clients: statusClients(spec), value: string(b), stop: make(chan struct{}), done: make(chan struct{})}
	warn := ""
	if len(m.clients) == 0 {
		close(m.done)
		return m, "roma.hcl declares no status nodes: no romad to keep from failing over"
	}
	if ok := m.set(ctx); ok*2 <= len(m.clients) {
		warn = fmt.Sprintf("maintenance set on only %d of %d status nodes", ok, len(m.clients))
	}
	m.publish(ctx, true)
	go m.renew()
	return m, warn
}

func (m *maintenance) set(ctx context.Context) (ok int) {
	for _, c := range m.clients {
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if c.Set(sctx, MaintenanceKey(m.spec.Name), m.value, MaintenanceTTL).Err() == nil {
			ok++
		}
		cancel()
	}
	return ok
}

func (m *maintenance) renew() {
	defer close(m.done)
	tick := time.NewTicker(MaintenanceTTL / 4)
	defer tick.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-tick.C:
			m.set(context.Background())
			m.publish(context.Background(), true)
		}
	}
}

// publish writes the published status again with Maintenance set to on,
// at its own epoch, when it says otherwise.
func (m *maintenance) publish(ctx context.Context, on bool) {
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	r := status.ReadMajority(rctx, m.clients, m.spec.Name)
	if r.Status == nil || r.Status.Maintenance == on {
		return
	}
	s := *r.Status
	s.Maintenance = on
	s.Updated = time.Now().UTC()
	for _, c := range m.clients {
		if err := status.Write(rctx, c, &s); err != nil && !errors.Is(err, status.ErrStaleEpoch) {
			continue
		}
	}
}

// leave ends maintenance: the key is deleted and the status published
// without it.
func (m *maintenance) leave() {
	if m.clients == nil {
		return
	}
	select {
	case <-m.done:
	default:
		close(m.stop)
		<-m.done
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, c := range m.clients {
		c.Del(ctx, MaintenanceKey(m.spec.Name))
	}
	m.publish(ctx, false)
	closeAll(m.clients)
	m.clients = nil
}
