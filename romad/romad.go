package romad

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/backup"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/providers/alert"
	"github.com/roma-redis/roma/status"
)

// Config says which romad this is and how it behaves.
type Config struct {
	Spec *cluster.Spec
	Self string // this romad's host name, one of Spec.Romad.Hosts
	// Lease is how long the alpha's lease lasts on the status nodes;
	// default 2s. An alpha that cannot renew stops acting after
	// 0.7 x Lease.
	Lease time.Duration
	// Listen overrides the HTTP address (default: the host's address and
	// romad's http_port); "-" disables HTTP.
	Listen string
	Log    *slog.Logger
	// Notify, when set, receives every status the alpha writes (for
	// alerts).
	Notify func(*status.Status)
}

// Daemon is one running romad.
type Daemon struct {
	cfg       Config
	spec      *cluster.Spec
	host      cluster.Host
	downAfter time.Duration
	log       *slog.Logger

	alerts   *alert.Tracker           // nil without alert blocks
	views    map[string]*nodeView     // every data and status node
	clients  map[string]*redis.Client // by node name
	statuses map[string]*redis.Client // status node address -> client
	lease    *lease
	metrics  *metrics

	mu          sync.Mutex
	maintenance bool           // the maintenance key is set (alpha reads it)
	maintParts  []int          // the partitions it names; nil: all
	maintEnded  time.Time      // when this romad saw maintenance end
	lastBackup  *status.Backup // the last backup's record (scheduled, or roma backup's)
	ownBackup   *status.Backup // the record of this romad's last scheduled backup
	backupRun   atomic.Bool    // a scheduled backup is running here
	backupHeld  atomic.Bool    // a due scheduled backup is held back by maintenance
	alpha       *alphaState    // nil when not alpha
	others      map[string]map[string]string
	current     *status.Status // the last status written or read
	// stopped: roma stop's records of what it stopped on purpose
	// (status.StoppedKey), the newest of the status nodes'.
	stopped map[string]status.Stopped

	// started is when Run began; quorumLost, whether the Run loop last
	// saw no majority of the status nodes answer (observeQuorum).
	started    time.Time
	quorumLost bool

	// restarted is signalled when a node answers under a new run id (it
	// restarted): the alpha decides at once rather than at its next
	// round, since a master back with less data takes writes it will
	// lose until a replica leads in its place.
	restarted chan struct{}
}

// New prepares a romad; Run starts it.
func New(cfg Config) (*Daemon, error) {
	spec := cfg.Spec
	if spec.Romad == nil {
		return nil, errors.New("roma.hcl declares no romad block")
	}
	found := false
	for _, h := range spec.Romad.Hosts {
		found = found || h == cfg.Self
	}
	if !found {
		return nil, fmt.Errorf("host %q is not one of romad's hosts %v", cfg.Self, spec.Romad.Hosts)
	}
	if len(spec.Status) == 0 {
		return nil, errors.New("roma.hcl declares no status nodes")
	}
	host, _ := spec.Host(cfg.Self)
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	d := &Daemon{cfg: cfg, spec: spec, host: host, downAfter: spec.Romad.DownAfter, log: cfg.Log,
		views: map[string]*nodeView{}, clients: map[string]*redis.Client{}, statuses: map[string]*redis.Client{},
		others: map[string]map[string]string{}, restarted: make(chan struct{}, 1)}
	if d.downAfter <= 0 {
		d.downAfter = 5 * time.Second
	}
	timeout := min(d.downAfter/2, time.Second)
	pw := spec.Password
	for _, n := range spec.Nodes {
		addr := spec.Addr(n.Host, n.Port)
		d.views[n.Name] = &nodeView{Name: n.Name, Addr: addr, Partition: n.Partition, Priority: 100}
		d.clients[n.Name] = newNodeClient(addr, host.Address, pw, timeout)
	}
	for _, s := range spec.Status {
		addr := spec.Addr(s.Host, s.Port)
		d.views[s.Name] = &nodeView{Name: s.Name, Addr: addr, Partition: -1}
		d.clients[s.Name] = newNodeClient(addr, host.Address, pw, timeout)
		d.statuses[addr] = newNodeClient(addr, host.Address, pw, timeout)
	}
	d.lease = &lease{cluster: spec.Name, self: cfg.Self, duration: cfg.Lease, statuses: d.statuses, log: d.log}
	if len(spec.Alerts) > 0 {
		dests, err := alert.Destinations(spec.Alerts)
		if err != nil {
			return nil, fmt.Errorf("alerts: %w", err)
		}
		d.alerts = alert.NewTracker(alert.Config{Cluster: spec.Name, Destinations: dests, Report: func(r alert.Result) {
			switch {
			case r.Err != nil && r.Final:
				d.log.Error("alert not delivered", "destination", r.Destination, "kind", r.Alert.Kind, "err", r.Err)
			case r.Err != nil:
				d.log.Warn("alert delivery failed; retrying", "destination", r.Destination, "kind", r.Alert.Kind, "err", r.Err)
			default:
				d.log.Info("alert sent", "destination", r.Destination, "kind", r.Alert.Kind, "subject", r.Alert.Subject)
			}
		}})
	}
	d.metrics = newMetrics(d)
	return d, nil
}

// Run watches, elects and serves until ctx ends; then it gives the lease
// up so another romad takes over at once.
func (d *Daemon) Run(ctx context.Context) error {
	d.started = time.Now()
	defer func() {
		for _, c := range d.clients {
			c.Close()
		}
		for _, c := range d.statuses {
			c.Close()
		}
	}()
	var srv *http.Server
	if d.cfg.Listen != "-" {
		addr := d.cfg.Listen
		if addr == "" {
			addr = net.JoinHostPort(d.host.Address, strconv.Itoa(d.spec.Romad.HTTPPort))
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("romad on %s: HTTP on %s: %w", d.cfg.Self, addr, err)
		}
		srv = &http.Server{Handler: d.handler(), ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		d.log.Info("serving HTTP", "addr", ln.Addr().String())
	}
	var wg sync.WaitGroup
	if d.alerts != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.alerts.Run(ctx)
		}()
	}
	timeout := min(d.downAfter/2, time.Second)
	for name, v := range d.views {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v.watch(ctx, d.clients[name], timeout, d.restarted)
		}()
	}
	// The lease is kept on a goroutine of its own: the alpha's work (a
	// promotion, a node slow to answer) never delays a renewal.
	leaseDone := make(chan struct{})
	go func() {
		defer close(leaseDone)
		d.lease.keep(ctx, probeInterval*2)
	}()
	tick := time.NewTicker(probeInterval * 2)
	defer tick.Stop()
	lastSeen := time.Time{}
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			<-leaseDone
			rctx, cancel := context.WithTimeout(context.Background(), time.Second)
			if _, ok := d.lease.valid(); ok {
				d.lease.release(rctx)
			}
			if srv != nil {
				srv.Shutdown(rctx)
			}
			cancel()
			return nil
		case <-tick.C:
		case <-d.restarted:
		}
		if time.Since(lastSeen) >= 300*time.Millisecond {
			d.publishSeen(ctx)
			d.scheduleBackup(ctx)
			d.observeQuorum()
			lastSeen = time.Now()
		}
		d.mu.Lock()
		a := d.alpha
		d.mu.Unlock()
		epoch, isAlpha := d.lease.valid()
		switch {
		case isAlpha && (a == nil || a.epoch != epoch):
			// A new term: won, or won again after the lease lapsed (the
			// alpha's own epoch bumps update a.epoch as they happen).
			d.log.Info("became alpha", "epoch", epoch)
			d.becomeAlpha(ctx, epoch)
		case !isAlpha && a != nil:
			d.log.Warn("no longer alpha: the lease could not be renewed on a majority of status nodes")
			d.mu.Lock()
			d.alpha = nil
			d.mu.Unlock()
		}
		if isAlpha {
			// No decisions on a stale reading: maintenance may have begun.
			if d.readOthers(ctx) {
				d.reconcile(ctx)
			}
		} else if time.Since(d.lastRead()) > time.Second {
			d.refreshStatus(ctx)
		}
	}
}

// clearStopped removes roma stop's records of names (status.StoppedKey)
// from the status nodes, in the background: they run again.
func (d *Daemon) clearStopped(ctx context.Context, names ...string) {
	go func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if _, err := status.ClearStopped(cctx, d.statuses, d.spec.Name, names); err != nil {
			d.log.Warn("could not remove roma stop's record of nodes that run again", "nodes", names, "err", d.spec.Password.RedactError(err))
		}
	}()
}

func (d *Daemon) isAlpha() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.alpha != nil
}

// publishSeen writes this romad's view of every node to the status
// nodes, so the alpha can tell a dead node from a broken link of its own.
func (d *Daemon) publishSeen(ctx context.Context) {
	vals := []any{}
	for name, v := range d.views {
		s := v.snap(d.downAfter)
		state := "up"
		if !s.Up {
			state = "down"
		}
		vals = append(vals, name, state)
	}
	key := status.SeenKey(d.spec.Name, d.cfg.Self)
	ttl := max(3*d.downAfter/2, 1500*time.Millisecond)
	for _, c := range d.statuses {
		go func() {
			sctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			pipe := c.TxPipeline()
			pipe.Del(sctx, key)
			pipe.HSet(sctx, key, vals...)
			pipe.PExpire(sctx, key, ttl)
			_, _ = pipe.Exec(sctx)
		}()
	}
}

// readOthers reads the other romads' views from the status nodes, with
// the maintenance flag (roma restore) and the last backup's
// record, from a quorum of them. It reports whether a majority answered;
// if not, the last reading stands (a slow read must not end maintenance).
func (d *Daemon) readOthers(ctx context.Context) bool {
	type reading struct {
		seen    map[string]map[string]string
		maint   bool
		parts   []int // of the maintenance; nil: all
		rec     *status.Backup
		stopped map[string]string
	}
	var hosts []string
	for _, h := range d.spec.Romad.Hosts {
		if h != d.cfg.Self {
			hosts = append(hosts, h)
		}
	}
	rs := fromQuorum(ctx, d.statuses, 300*time.Millisecond, func(ctx context.Context, c *redis.Client) (reading, error) {
		pipe := c.Pipeline()
		seen := make([]*redis.MapStringStringCmd, len(hosts))
		for i, h := range hosts {
			seen[i] = pipe.HGetAll(ctx, status.SeenKey(d.spec.Name, h))
		}
		maint := pipe.Get(ctx, status.MaintenanceKey(d.spec.Name))
		rec := pipe.Get(ctx, status.BackupKey(d.spec.Name))
		stopped := pipe.HGetAll(ctx, status.StoppedKey(d.spec.Name))
		_, _ = pipe.Exec(ctx)
		v, err := maint.Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return reading{}, err
		}
		r := reading{seen: map[string]map[string]string{}, maint: err == nil, rec: backupRecord(rec), stopped: stopped.Val()}
		var m status.Maintenance
		if r.maint && json.Unmarshal([]byte(v), &m) == nil && len(m.Partitions) > 0 {
			r.parts = m.Partitions
		}
		for i, h := range hosts {
			if m, err := seen[i].Result(); err == nil && len(m) > 0 {
				r.seen[h] = m
			}
		}
		return r, nil
	})
	if len(rs) < status.Majority(len(d.statuses)) {
		d.log.Warn("could not read the other romads and the maintenance flag from a majority of status nodes", "answered", len(rs), "status_nodes", len(d.statuses))
		return false
	}
	others := map[string]map[string]string{}
	maint := false
	var parts []int
	all := false
	var rec *status.Backup
	stopped := map[string]status.Stopped{}
	for _, r := range rs {
		status.MergeStopped(stopped, r.stopped)
		for h, m := range r.seen {
			if others[h] == nil {
				others[h] = m
			}
		}
		if r.maint {
			maint = true
			all = all || r.parts == nil
			parts = append(parts, r.parts...)
		}
		if r.rec != nil && (rec == nil || r.rec.Time.After(rec.Time)) {
			rec = r.rec
		}
	}
	d.mu.Lock()
	d.others = others
	d.stopped = stopped
	if d.maintenance && !maint {
		d.maintEnded = time.Now()
	}
	d.maintenance = maint
	d.maintParts = nil
	if maint && !all {
		d.maintParts = parts
	}
	if rec != nil && (d.lastBackup == nil || rec.Time.After(d.lastBackup.Time)) {
		if d.lastBackup != nil && !rec.OK && d.alerts != nil {
			// A new failed backup: alert once, from the alpha.
			defer d.alerts.Notify(backup.FailureAlert(d.spec, d.spec.Backup.Host+":"+d.spec.Backup.Dir, rec, errors.New(rec.Error)))
		}
		d.lastBackup = rec
	}
	d.mu.Unlock()
	return true
}

// scheduleBackup runs the scheduled backup when it is due, on the romad of
// the backup host (romad reaches no other host; one romad runs per host,
// so a backup never runs twice), and publishes its record on the status
// nodes, where the alpha picks it up for the status and alerts.
func (d *Daemon) scheduleBackup(ctx context.Context) {
	b := d.spec.Backup
	if b == nil || b.Host != d.cfg.Self || d.backupRun.Load() {
		return
	}
	type reading struct {
		rec   *status.Backup
		maint bool
	}
	rs := fromQuorum(ctx, d.statuses, 300*time.Millisecond, func(ctx context.Context, c *redis.Client) (reading, error) {
		pipe := c.Pipeline()
		rec := pipe.Get(ctx, status.BackupKey(d.spec.Name))
		maint := pipe.Exists(ctx, status.MaintenanceKey(d.spec.Name))
		_, _ = pipe.Exec(ctx)
		if err := rec.Err(); err != nil && err != redis.Nil {
			return reading{}, err
		}
		if err := maint.Err(); err != nil {
			return reading{}, err
		}
		return reading{backupRecord(rec), maint.Val() > 0}, nil
	})
	// The newest record: the status nodes', or this romad's own last run
	// when they could not take it (status nodes down): else it would
	// start another backup at once, and again.
	d.mu.Lock()
	last := d.ownBackup
	d.mu.Unlock()
	maint := false
	for _, r := range rs {
		if r.rec != nil && (last == nil || r.rec.Time.After(last.Time)) {
			last = r.rec
		}
		maint = maint || r.maint
	}
	if !backup.Due(d.spec, last, time.Now()) {
		return
	}
	// In maintenance (roma restore, or the operator's own) a backup could
	// take partitions half restored: it waits for the end.
	if maint {
		if !d.backupHeld.Swap(true) {
			d.log.Info("scheduled backup due, held back until the maintenance ends")
		}
		return
	}
	d.backupHeld.Store(false)
	st, err := backup.LocalStore(d.spec, d.cfg.Self)
	if err != nil {
		return
	}
	d.backupRun.Store(true)
	go func() {
		defer d.backupRun.Store(false)
		d.log.Info("scheduled backup starting", "store", b.Dir)
		rec, err := backup.Scheduled(ctx, d.spec, st, d.host.Address)
		if errors.Is(err, backup.ErrRestoreUnderWay) {
			// A restore began as it did: held back like the others.
			d.log.Info("scheduled backup held back", "why", err)
			return
		}
		if err != nil {
			d.log.Error("scheduled backup failed", "err", err)
		} else {
			d.log.Info("scheduled backup complete", "id", rec.ID, "seconds", rec.Duration)
		}
		d.mu.Lock()
		d.ownBackup = rec
		d.mu.Unlock()
		for _, c := range d.statuses {
			wctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, _ = status.WriteBackup(wctx, c, d.spec.Name, rec)
			cancel()
		}
	}()
}

// backupRecord reads a scheduled backup's record; nil when there is none
// or it cannot be read.
func backupRecord(cmd *redis.StringCmd) *status.Backup {
	b, err := cmd.Bytes()
	if err != nil {
		return nil
	}
	var r status.Backup
	if json.Unmarshal(b, &r) != nil {
		return nil
	}
	return &r
}

// down reports whether node name is down: this romad cannot reach it for
// down_after, and among the romads that report, more see it down than up.
// Time in maintenance does not count: for down_after after it ends, no
// node is down. roma restore stops nodes for longer than down_after, and
// a master it has just brought back may not have answered a probe yet.
func (d *Daemon) down(name string) bool {
	s := d.views[name].snap(d.downAfter)
	if s.Up {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if time.Since(d.maintEnded) < d.downAfter { // never, before maintenance first ends
		return false
	}
	downVotes, upVotes := 1, 0
	for _, view := range d.others {
		switch view[name] {
		case "down":
			downVotes++
		case "up":
			upVotes++
		}
	}
	return downVotes > upVotes
}

func (d *Daemon) lastRead() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.current == nil {
		return time.Time{}
	}
	return d.current.Updated
}

// refreshStatus reads the published status (non-alpha romads serve it).
func (d *Daemon) refreshStatus(ctx context.Context) {
	rctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	r := status.ReadQuorum(rctx, d.statuses, d.spec.Name)
	if r.Status != nil {
		d.mu.Lock()
		d.current = r.Status
		d.mu.Unlock()
	}
}

// Status returns the status this romad last wrote (as alpha) or read.
func (d *Daemon) Status() *status.Status {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.current
}
