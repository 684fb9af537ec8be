package romad

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/providers/alert"
	"github.com/roma-redis/roma/redisinfo"
	"github.com/roma-redis/roma/status"
	"github.com/roma-redis/roma/status/report"
)

// alphaState is what the alpha decides with.
type alphaState struct {
	epoch   int64
	masters []string // per partition; "" when it has none
	// lost is, per partition, the master it lost with no replica fit to
	// take over (HALT), or "": it holds the newest data, so it alone may
	// lead again (status.Partition.Lost).
	lost []string
	// inMaintenance is whether the last round ran in maintenance, and
	// maintAll and maintParts what it may have changed: every partition,
	// or those (roma restore names the partitions it restores).
	inMaintenance bool
	maintAll      bool
	maintParts    map[int]bool
	lastWrite     time.Time
	written       *status.Status
	lastFailover  map[int]time.Time
	lastRepoint   map[string]time.Time
	// wrongSince is when a node was first seen following the wrong
	// master (or acting as a second master). romad waits a moment before
	// repointing it, so that it does not fight a switchover in progress
	// (FAILOVER swaps two roles, which two probes can see half done).
	wrongSince map[string]time.Time
	lastKeys   map[string]int64 // keys each node held when last seen up
	since      map[string]time.Time
	states     map[string]string
	// fullSince is when each master that evicts nothing was first seen
	// so nearly full that report.MemoryProblem reports it (memory_full).
	fullSince map[string]time.Time
}

func (d *Daemon) becomeAlpha(ctx context.Context, epoch int64) {
	a := &alphaState{epoch: epoch, masters: make([]string, d.spec.Partitions), lost: make([]string, d.spec.Partitions),
		lastFailover: map[int]time.Time{}, lastRepoint: map[string]time.Time{}, lastKeys: map[string]int64{},
		wrongSince: map[string]time.Time{},
		since:      map[string]time.Time{}, states: map[string]string{}}
	rctx, cancel := context.WithTimeout(ctx, time.Second)
	r := status.ReadQuorum(rctx, d.statuses, d.spec.Name)
	cancel()
	if r.Status != nil && len(r.Status.Partitions) == d.spec.Partitions {
		moved := false
		for p := range a.masters {
			a.masters[p] = r.Status.Partitions[p].Master
			if l := r.Status.Partitions[p].Lost; a.masters[p] == "" && d.declared(l, p) {
				a.lost[p] = l
			}
			if m := a.masters[p]; m != "" && !d.declared(m, p) {
				// A node roma.hcl no longer declares (apply hands its
				// partition over, then removes it): take the master as
				// the nodes report it. Clients learn of a new master by
				// a higher epoch; this romad may hold the status's own
				// (it restarted, and renewed its epoch).
				a.masters[p] = d.observedMaster(p)
				moved = true
			}
		}
		if moved && r.Status.Epoch >= a.epoch {
			if e, err := d.lease.bump(ctx); err == nil {
				a.epoch = e
			}
		}
		d.mu.Lock()
		if d.lastBackup == nil {
			d.lastBackup = r.Status.Backup
		}
		d.mu.Unlock()
		for name, n := range r.Status.Nodes {
			a.since[name], a.states[name] = n.Since, n.State
			a.lastKeys[name] = n.Keys
		}
	} else {
		// No status yet: take the masters as the nodes report them.
		for p := range a.masters {
			a.masters[p] = d.observedMaster(p)
		}
	}
	d.mu.Lock()
	d.alpha = a
	d.mu.Unlock()
	d.metrics.alphaChanges.Inc()
	d.write(ctx, a, true)
}

// declared reports whether roma.hcl declares node name in partition p.
func (d *Daemon) declared(name string, p int) bool {
	n, ok := d.spec.Node(name)
	return ok && n.Partition == p
}

// observedMaster returns the partition's node that reports itself master
// and has the most replicas following it, in declaration order on ties.
func (d *Daemon) observedMaster(p int) string {
	best, followers := "", -1
	for _, n := range d.spec.PartitionNodes(p) {
		s := d.views[n.Name].snap(d.downAfter)
		if !s.Up || s.Role != "master" {
			continue
		}
		f := 0
		for _, o := range d.spec.PartitionNodes(p) {
			if os := d.views[o.Name].snap(d.downAfter); os.Up && os.MasterAddr == s.Addr {
				f++
			}
		}
		if f > followers {
			best, followers = n.Name, f
		}
	}
	return best
}

// act reports whether the alpha may still act: its lease is valid and its
// epoch is the one it decided with.
func (d *Daemon) act(a *alphaState) bool {
	e, ok := d.lease.valid()
	return ok && e == a.epoch
}

// reconcile is one round of the alpha's decisions.
func (d *Daemon) reconcile(ctx context.Context) {
	d.mu.Lock()
	a := d.alpha
	maint, parts := d.maintenance, d.maintParts
	d.mu.Unlock()
	if a == nil {
		return
	}
	if maint {
		if !a.inMaintenance {
			a.maintAll, a.maintParts = false, map[int]bool{}
		}
		a.maintAll = a.maintAll || parts == nil
		for _, p := range parts {
			a.maintParts[p] = true
		}
	}
	if a.inMaintenance && !maint {
		// roma restore (or an operator) owned the nodes: what it made
		// of them stands, a master it restored over a partition in HALT
		// included. A master lost before holds data the restore
		// replaced: it no longer leads on its return. A partition the
		// maintenance did not name still waits for its lost master.
		for p := range a.lost {
			if a.maintAll || a.maintParts[p] {
				a.lost[p] = ""
			}
		}
	}
	a.inMaintenance = maint
	for _, n := range d.spec.Nodes {
		if s := d.views[n.Name].snap(d.downAfter); s.Up {
			a.lastKeys[n.Name] = s.Keys
		}
	}
	for p := 0; p < d.spec.Partitions; p++ {
		if !d.act(a) {
			return
		}
		d.reconcilePartition(ctx, a, p, maint)
	}
	if d.act(a) {
		d.write(ctx, a, false)
	}
}

func (d *Daemon) addrOf(name string) string { return d.views[name].Addr }

func (d *Daemon) nameAt(p int, addr string) string {
	for _, n := range d.spec.PartitionNodes(p) {
		if d.views[n.Name].Addr == addr {
			return n.Name
		}
	}
	return ""
}

func (d *Daemon) reconcilePartition(ctx context.Context, a *alphaState, p int, maint bool) {
	if maint {
		// roma restore owns the nodes: no failover, no repointing.
		return
	}
	m := a.masters[p]
	switch {
	case m == "" && a.lost[p] != "":
		// HALT after the master was lost: it has writes no other node
		// has, so none leads before it is back, with its data. Back
		// empty (its data lost), the node holding the most leads.
		l := a.lost[p]
		s := d.views[l].snap(d.downAfter)
		if !s.Answering || s.Loading || d.down(l) {
			return
		}
		if s.Keys > 0 || a.lastKeys[l] <= 0 {
			d.promote(ctx, a, p, "", l, "the master lost at HALT is back")
			return
		}
		if c := d.candidate(a, p, ""); c != "" {
			d.promote(ctx, a, p, "", c, "the master lost at HALT came back empty")
		}
	case m == "":
		// HALT: the first node that can lead again does.
		if c := d.candidate(a, p, ""); c != "" {
			d.promote(ctx, a, p, "", c, "partition had no master")
		}
	case d.down(m):
		if maint || time.Since(a.lastFailover[p]) < time.Second {
			return
		}
		c := d.candidate(a, p, m)
		if c == "" {
			if a.masters[p] != "" {
				d.log.Error("partition has no promotable replica: HALT", "partition", p, "master", m)
				if e, err := d.lease.bump(ctx); err == nil {
					a.epoch = e
					a.masters[p] = ""
					a.lost[p] = m
					a.lastFailover[p] = time.Now()
					d.write(ctx, a, true)
				}
			}
			return
		}
		d.promote(ctx, a, p, m, c, "master down for "+d.downAfter.String())
	default:
		ms := d.views[m].snap(d.downAfter)
		if x := d.switchedTo(a, p, m); x != "" {
			if e, err := d.lease.bump(ctx); err == nil {
				d.log.Info("planned switchover followed", "partition", p, "from", m, "to", x, "epoch", e)
				a.epoch = e
				a.masters[p] = x
				d.write(ctx, a, true)
			}
			return
		}
		if !ms.Up || ms.Role != "master" {
			return
		}
		if time.Since(a.lastFailover[p]) >= time.Second {
			if c, why := d.restartedBehind(ctx, p, m, ms); c != "" {
				d.promote(ctx, a, p, m, c, why)
				return
			}
		}
		for _, n := range d.spec.PartitionNodes(p) {
			if n.Name == m {
				continue
			}
			s := d.views[n.Name].snap(d.downAfter)
			if !s.Answering || s.Loading || time.Since(a.lastRepoint[n.Name]) < 2*time.Second {
				continue
			}
			if s.Role != "master" && s.MasterAddr == ms.Addr {
				delete(a.wrongSince, n.Name)
				continue
			}
			if since, ok := a.wrongSince[n.Name]; !ok {
				a.wrongSince[n.Name] = time.Now()
				continue
			} else if time.Since(since) < time.Second {
				continue
			}
			{
				delete(a.wrongSince, n.Name)
				why := "replica follows " + s.MasterAddr
				if s.Role == "master" {
					why = "old master returned"
				}
				a.lastRepoint[n.Name] = time.Now()
				if !d.act(a) {
					return
				}
				host, port, _ := net.SplitHostPort(ms.Addr)
				err := d.replicaOf(ctx, a, n.Name, host, port)
				d.log.Info("repointed", "node", n.Name, "master", m, "why", why, "err", errString(err))
			}
		}
	}
}

// switchedTo returns the node of partition p that its master m handed its
// role to in a planned switchover (roma apply's FAILOVER, or an
// operator's): m now follows it, and it is master. Not on a view of m
// probed before this alpha's own last failover of p: the master it just
// promoted shows as the replica of the old one until its next probe, and
// the old one may still run as master (it restarted behind its replica,
// see restartedBehind), which would undo the failover.
func (d *Daemon) switchedTo(a *alphaState, p int, m string) string {
	ms := d.views[m].snap(d.downAfter)
	if !ms.Up || ms.Role != "slave" || !ms.Probed.After(a.lastFailover[p]) {
		return ""
	}
	x := d.nameAt(p, ms.MasterAddr)
	if x == "" {
		return ""
	}
	if xs := d.views[x].snap(d.downAfter); !xs.Up || xs.Role != "master" {
		return ""
	}
	return x
}

// restartedBehind returns the replica of partition p's master m that must
// lead in m's place, and why, when m restarted (a crash, then a restart
// by hand or a reboot, within down_after) from an older dataset than the
// replica holds, or none: the replica's next sync from m would be a full
// one, dropping the writes only it still holds (never let replicas follow
// a master that restarted empty). Only a replica that lost its link to m
// before m started counts (m's uptime is no longer than the link has been
// down): one that m dropped while running may hold writes another replica
// lacks, and a failover then would lose m's own. The views are a few
// probes old, so the replica, then m, are asked again before deciding: a
// replica whose link is down holds still, and m's history can only have
// grown since, unless m lost it. The rendered repl-diskless-sync-delay
// holds m's full sync back long enough for romad to get there first.
func (d *Daemon) restartedBehind(ctx context.Context, p int, m string, ms snapshot) (string, string) {
	if !ms.Answering || ms.Loading || ms.Booted.IsZero() {
		return "", ""
	}
	up := time.Since(ms.Booted)
	var fit []string
	for _, n := range d.spec.PartitionNodes(p) {
		s := d.views[n.Name].snap(d.downAfter)
		if n.Name == m || !s.Answering || s.Loading || s.Priority == 0 || s.Role != "slave" || s.MasterAddr != ms.Addr || s.LinkUp ||
			s.LinkDownFor == neverSynced || s.LinkDownFor > 10*d.downAfter+10*time.Second || up > s.LinkDownFor+2*time.Second {
			continue
		}
		fit = append(fit, n.Name)
	}
	if len(fit) == 0 {
		return "", ""
	}
	ctx, cancel := context.WithTimeout(ctx, min(d.downAfter/2, time.Second))
	defer cancel()
	infos := map[string]redisinfo.Info{}
	for _, name := range fit {
		if reply, err := d.clients[name].Info(ctx, "replication").Result(); err == nil {
			infos[name] = redisinfo.Parse(reply)
		}
	}
	reply, err := d.clients[m].Info(ctx, "replication", "server").Result()
	if err != nil {
		return "", ""
	}
	mi := redisinfo.Parse(reply)
	best, bestOff := "", int64(-1)
	for _, name := range fit {
		ri, ok := infos[name]
		if !ok || !ri.Replica() || ri.LinkUp() || ri.MasterAddr() != ms.Addr || redisinfo.Continues(mi, ri) {
			continue
		}
		if secs := ri.Int("master_link_down_since_seconds"); secs < 0 || mi.Int("uptime_in_seconds") > secs+1 {
			continue
		}
		if off := ri.Int("master_repl_offset"); off > bestOff {
			best, bestOff = name, off
		}
	}
	if best == "" {
		return "", ""
	}
	return best, fmt.Sprintf("the master restarted %ds ago, and its replication history (offset %d) does not hold %s's (offset %d): "+
		"a full sync from it would replace %s's data, the one sure copy of the latest writes", mi.Int("uptime_in_seconds"), mi.Int("master_repl_offset"), best, bestOff, best)
}

// candidate picks the replica to promote in partition p in place of old:
// up, a replica of old, promotable (replica-priority not 0), not cut off
// from old for too long, with the highest replication offset; never an
// empty node when the old master held data.
func (d *Daemon) candidate(a *alphaState, p int, old string) string {
	best, bestMaster := "", false
	var bestOffset, bestKeys int64 = -1, -1
	hadData := a.lastKeys[old] > 0
	for _, n := range d.spec.PartitionNodes(p) {
		if n.Name == old {
			continue
		}
		s := d.views[n.Name].snap(d.downAfter)
		if !s.Up || s.Loading || s.Priority == 0 {
			continue
		}
		if old != "" && (s.Role != "slave" || s.MasterAddr != d.addrOf(old)) {
			// Not a copy of old: it follows something else, or it runs
			// as master, restarted on its own from older data before
			// romad repointed it (its offset is of another history).
			continue
		}
		if s.LinkDownFor > 10*d.downAfter+10*time.Second {
			continue
		}
		if hadData && s.Keys == 0 {
			continue
		}
		if old == "" {
			// No master known: the node holding the most data leads; on
			// a tie, one that is master already (roma start brought it
			// up so, and its replicas are on their way), else the
			// higher offset. Offsets of a master just started and of
			// its replicas belong to different histories: they only
			// break ties between replicas.
			master := s.Role == "master" && s.Answering
			if s.Keys > bestKeys || s.Keys == bestKeys && (master && !bestMaster || master == bestMaster && s.Offset > bestOffset) {
				best, bestKeys, bestOffset, bestMaster = n.Name, s.Keys, s.Offset, master
			}
			continue
		}
		if s.Offset > bestOffset {
			best, bestOffset = n.Name, s.Offset
		}
	}
	return best
}

// promote makes c master of partition p under a new epoch.
func (d *Daemon) promote(ctx context.Context, a *alphaState, p int, old, c, why string) {
	a.lastFailover[p] = time.Now()
	e, err := d.lease.bump(ctx)
	if err != nil {
		d.log.Warn("failover postponed: no new epoch", "partition", p, "err", err)
		return
	}
	a.epoch = e
	if err := d.replicaOf(ctx, a, c, "no", "one"); err != nil {
		d.log.Error("promotion failed; retrying", "partition", p, "node", c, "err", err)
		return
	}
	// Views probed from now on show c as master (switchedTo).
	a.lastFailover[p] = time.Now()
	a.masters[p], a.lost[p] = c, ""
	d.metrics.failovers.WithLabelValues(strconv.Itoa(p)).Inc()
	d.log.Warn("failover", "partition", p, "old", old, "new", c, "why", why, "epoch", e)
	// Publish first, so clients move at once; then repoint.
	d.write(ctx, a, true)
	host, port, _ := net.SplitHostPort(d.addrOf(c))
	for _, n := range d.spec.PartitionNodes(p) {
		if n.Name == c || n.Name == old {
			continue
		}
		if s := d.views[n.Name].snap(d.downAfter); s.Answering {
			a.lastRepoint[n.Name] = time.Now()
			_ = d.replicaOf(ctx, a, n.Name, host, port)
		}
	}
}

// errLeaseLapsed is replicaOf's error when the lease may have lapsed.
var errLeaseLapsed = errors.New("not sent: this romad's lease as alpha may have lapsed")

// replicaOf sends REPLICAOF host port to node, as alpha of a.epoch: not
// at all once the lease may have lapsed, and not past that moment if the
// alpha stalls on the way (lease.fenced).
func (d *Daemon) replicaOf(ctx context.Context, a *alphaState, node, host, port string) error {
	fctx, cancel, ok := d.lease.fenced(ctx, a.epoch)
	defer cancel()
	if !ok {
		return errLeaseLapsed
	}
	return d.clients[node].ReplicaOf(fctx, host, port).Err()
}

// build makes the status from the alpha's decisions and the views.
func (d *Daemon) build(a *alphaState) *status.Status {
	st := &status.Status{Version: status.SchemaVersion, Cluster: d.spec.Name, Epoch: a.epoch, Alpha: d.cfg.Self,
		Hash: d.spec.Hash, Partitions: make([]status.Partition, d.spec.Partitions), Nodes: map[string]status.NodeState{}}
	now := time.Now().UTC()
	masterOffset := map[int]int64{}
	for p, m := range a.masters {
		st.Partitions[p].Master, st.Partitions[p].Lost = m, a.lost[p]
		if m != "" {
			masterOffset[p] = d.views[m].snap(d.downAfter).Offset
		}
		for _, n := range d.spec.PartitionNodes(p) {
			if n.Name != m {
				st.Partitions[p].Replicas = append(st.Partitions[p].Replicas, n.Name)
			}
		}
	}
	d.mu.Lock()
	stopped := d.stopped // replaced whole by readOthers, never changed in place
	d.mu.Unlock()
	for name, v := range d.views {
		s := v.snap(d.downAfter)
		state := status.NodeUp
		switch {
		case d.down(name):
			state = status.NodeDown
		case s.Loading:
			state = status.NodeLoading
		case s.Role == "slave" && !s.LinkUp && s.Partition >= 0:
			state = status.NodeSyncing
		}
		rec, recorded := stopped[name]
		if recorded && a.states[name] == status.NodeDown && state != status.NodeDown {
			// Stopped by roma stop, and back: however it came back
			// (roma start and apply remove the record themselves).
			d.clearStopped(context.Background(), name)
			recorded = false
		}
		if a.states[name] != state || a.since[name].IsZero() {
			began := now
			// A node is found down down_after after its last answer: it
			// has been down since then, which is what the operator (and
			// an alert's down_for) must be told.
			if state == status.NodeDown && s.LastOK.After(a.since[name]) {
				began = s.LastOK.UTC()
			}
			a.states[name], a.since[name] = state, began
		}
		// A node up or loading since before its process started was
		// restarted while no romad watched (roma stop and start): its
		// state began no earlier than the process.
		if state != status.NodeDown && s.Booted.After(a.since[name].Add(time.Second)) {
			a.since[name] = s.Booted.UTC().Truncate(time.Second)
		}
		role := ""
		switch s.Role {
		case "master":
			role = "master"
		case "slave":
			role = "replica"
		}
		ns := status.NodeState{Addr: s.Addr, Partition: s.Partition, Role: role, State: state, Since: a.since[name],
			Memory: s.Mem.Used, Keys: s.Keys}
		if n, ok := d.spec.Node(name); ok {
			ns.Database = n.Database
		}
		if role == "replica" && s.Partition >= 0 {
			ns.Lag = max(0, masterOffset[s.Partition]-s.Offset)
		}
		if recorded && state == status.NodeDown {
			ns.Stopped = &rec
		}
		st.Nodes[name] = ns
	}
	st.State = status.Compute(st.Partitions, st.Nodes)
	d.mu.Lock()
	st.Backup = d.lastBackup
	st.Maintenance = d.maintenance
	d.mu.Unlock()
	return st
}

// write publishes the status when it changed (or force), and at least
// once a second.
func (d *Daemon) write(ctx context.Context, a *alphaState, force bool) {
	st := d.build(a)
	d.observeAlerts(a, st)
	if !force && a.written != nil && same(a.written, st) && time.Since(a.lastWrite) < time.Second {
		return
	}
	if !d.act(a) {
		return
	}
	st.Updated = time.Now().UTC()
	// Written once a majority has it: a status node that hangs is left to
	// its goroutine (bounded by the context) and does not hold the alpha
	// up. A node holding a higher epoch refuses the write; the alpha steps
	// down only when that costs it the majority.
	as := status.Gather(ctx, d.statuses, 500*time.Millisecond, func(ctx context.Context, c *redis.Client) (struct{}, error) {
		return struct{}{}, status.Write(ctx, c, st)
	}, status.SettledBy(len(d.statuses), status.Answered[struct{}]), 0)
	ok, need := status.Count(as, status.Answered[struct{}]), status.Majority(len(d.statuses))
	stale := slices.ContainsFunc(as, func(a status.Answer[struct{}]) bool { return errors.Is(a.Err, status.ErrStaleEpoch) })
	if ok < need && stale {
		d.log.Warn("a status node holds a higher epoch: stepping down", "epoch", a.epoch)
		d.mu.Lock()
		d.alpha = nil
		d.mu.Unlock()
		return
	}
	if ok < need {
		d.log.Warn("status written on a minority of status nodes", "ok", ok, "of", len(d.statuses))
		return
	}
	changed := a.written == nil || !same(a.written, st)
	a.written, a.lastWrite = st, time.Now()
	d.mu.Lock()
	d.current = st
	d.mu.Unlock()
	if changed && d.cfg.Notify != nil {
		d.cfg.Notify(st)
	}
}

// same compares what matters in two statuses: not the time, nor the
// figures that move all the time.
func same(x, y *status.Status) bool {
	if x.Epoch != y.Epoch || x.State != y.State || !reflect.DeepEqual(x.Partitions, y.Partitions) || len(x.Nodes) != len(y.Nodes) {
		return false
	}
	for k, a := range x.Nodes {
		b := y.Nodes[k]
		if a.State != b.State || a.Role != b.Role || (a.Stopped == nil) != (b.Stopped == nil) {
			return false
		}
	}
	return true
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// observeAlerts tells the alert tracker what the alpha sees; only the
// alpha alerts, so an incident is mailed once.
func (d *Daemon) observeAlerts(a *alphaState, st *status.Status) {
	d.mu.Lock()
	maint := d.maintenance
	d.mu.Unlock()
	if d.alerts == nil || maint {
		return
	}
	down, why := map[string]time.Time{}, map[string]string{}
	for name, n := range st.Nodes {
		if n.State == status.NodeDown && n.Stopped == nil { // roma stop's: on purpose
			down[name] = n.Since
			if v, ok := d.views[name]; ok {
				if s := v.snap(d.downAfter); s.Err != "" {
					why[name] = d.spec.Password.Redact(s.Err)
				}
			}
		}
	}
	detail := ""
	for p, part := range st.Partitions {
		switch {
		case part.Master == "" && part.Lost != "":
			detail += "partition " + strconv.Itoa(p) + " has no master: it waits for " + part.Lost + ", the master it lost, which alone holds the newest data; "
		case part.Master == "":
			detail += "partition " + strconv.Itoa(p) + " has no master; "
		}
	}
	state := st.State
	if state == status.Halt && haltOnPurpose(st) {
		state = status.Degraded // roma stop took them out of service, as its operator confirmed
	}
	o := alert.Observation{Time: time.Now(), State: state, Down: down, Why: why, Detail: strings.TrimSuffix(detail, "; "), Full: d.fullMasters(a, st)}
	if sb := d.spec.Backup; sb.OverdueAfter() > 0 {
		// Overdue counts from the last backup, or, with none recorded,
		// from when this romad started.
		from := d.started
		if st.Backup != nil {
			from, o.LastBackup = st.Backup.Time, st.Backup.Time
		}
		if due := from.Add(sb.OverdueAfter()); o.Time.After(due) {
			o.BackupOverdue, o.BackupEvery, o.BackupHost = due, sb.Every, sb.Host
		}
	}
	d.alerts.Observe(o)
}

// haltOnPurpose says whether every partition of st that has no master
// has all its nodes down because roma stop stopped them: a HALT no one
// need be told of.
func haltOnPurpose(st *status.Status) bool {
	for p, part := range st.Partitions {
		if part.Master != "" {
			continue
		}
		n := 0
		for _, ns := range st.Nodes {
			if ns.Partition != p {
				continue
			}
			if ns.State != status.NodeDown || ns.Stopped == nil {
				return false
			}
			n++
		}
		if n == 0 {
			return false
		}
	}
	return true
}

// fullMasters returns each master, up, that evicts nothing and uses
// nearly all of its maxmemory (report.MemoryProblem), with since when; it logs
// when one becomes so and when it has room again.
func (d *Daemon) fullMasters(a *alphaState, st *status.Status) map[string]alert.Full {
	if a.fullSince == nil {
		a.fullSince = map[string]time.Time{}
	}
	full := map[string]alert.Full{}
	for _, part := range st.Partitions {
		v, ok := d.views[part.Master]
		if !ok || st.Nodes[part.Master].State != status.NodeUp {
			continue
		}
		s := v.snap(d.downAfter)
		problem := report.MemoryProblem(part.Master, s.Mem)
		if problem == "" {
			continue
		}
		since, seen := a.fullSince[part.Master]
		if !seen {
			since = time.Now()
			a.fullSince[part.Master] = since
			d.log.Warn("master nearly full", "node", part.Master, "problem", problem)
		}
		full[part.Master] = alert.Full{Since: since, Detail: problem}
	}
	for name := range a.fullSince {
		if _, ok := full[name]; !ok {
			delete(a.fullSince, name)
			d.log.Info("master no longer nearly full", "node", name)
		}
	}
	return full
}
