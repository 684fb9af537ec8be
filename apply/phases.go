package apply

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/plan"
	"github.com/roma-redis/roma/providers/service"
	"github.com/roma-redis/roma/redisconf"
	"github.com/roma-redis/roma/remote"
)

// parallel runs fn for each item with the executor's bound.
func (e *executor) parallel(items []string, fn func(item string)) {
	sem := make(chan struct{}, e.opts.Parallelism)
	var wg sync.WaitGroup
	for _, it := range items {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			fn(it)
		}()
	}
	wg.Wait()
}

// step runs one action outside a host-grouped phase, with its events.
func (e *executor) step(ctx context.Context, address, host, verb, doneMsg string, fn func(ctx context.Context) error) bool {
	return e.runJob(ctx, job{address: address, host: host, verb: verb, doneMsg: doneMsg,
		run: func(ctx context.Context, _ remote.Transport) error { return fn(ctx) }})
}

// replicationPhase carries out the partitions' steps: promote the master,
// point the others at it, and wait until every replica is in sync.
func (e *executor) replicationPhase(ctx context.Context) {
	var parts []string
	res := map[string]plan.Resource{}
	for _, r := range e.p.Resources {
		if r.Kind == "partition" && len(r.Steps) > 0 {
			parts = append(parts, r.Address)
			res[r.Address] = r
		}
	}
	if len(parts) == 0 {
		return
	}
	e.phase("Replication")
	e.parallel(parts, func(addr string) {
		r := res[addr]
		for _, s := range r.Steps {
			n := s.Node
			if s.Op == "handover" { // s.Node is leaving roma.hcl
				n = s.Target
			}
			if _, ok := e.targets[n]; !ok || e.hasFailed("node."+n) {
				e.fail(addr, "", fmt.Errorf("node %s is not available, so partition %s cannot be set up", n, r.Name), 0)
				return
			}
		}
		r = e.pickMaster(ctx, r)
		for _, s := range r.Steps {
			tg := e.current(s.Node) // where it runs until a restart moves it
			var ok bool
			switch s.Op {
			case "handover":
				old, err := e.leavingTarget(s)
				if err != nil {
					e.fail(addr, "", err, 0)
					return
				}
				m := e.targets[s.Target]
				// On the new master's host: the old one's may be gone
				// from roma.hcl.
				ok = e.step(ctx, addr, m.Host.Name, "handing over from "+s.Node+" ("+s.Addr+") to "+s.Target+" (FAILOVER)", s.Target+" is master, "+s.Node+" its replica until it is removed", func(ctx context.Context) error {
					if err := e.failover(ctx, old, m); err != nil {
						return err
					}
					// Clients move once romad publishes m.
					e.awaitPublished(ctx, m.Partition, m.Name)
					return nil
				})
			case "promote":
				ok = e.step(ctx, addr, tg.Host.Name, "making "+s.Node+" master", s.Node+" is master", func(ctx context.Context) error {
					return e.promote(ctx, tg)
				})
			case "replicaof", "demote":
				m := e.current(s.Target) // a master that moves runs where it was until rolled
				ok = e.step(ctx, addr, tg.Host.Name, s.Node+" to replicate from "+s.Target, s.Node+" replicates from "+s.Target+" in sync", func(ctx context.Context) error {
					if err := e.replicaOf(ctx, tg, &m); err != nil {
						return err
					}
					return e.waitSynced(ctx, tg, m)
				})
			default:
				continue
			}
			if !ok {
				return
			}
		}
	})
}

// pickMaster settles which node becomes master of a partition whose
// promote step has Pick (its last master was stopped, or all its nodes
// were, or it is created over data from before), now that apply has
// started them with their data: the last master the published status
// names, which had the newest data, unless it holds no key while another
// does (its data lost); else the one holding the most keys, ties going to
// the plan's pick. It returns r with its steps following that node: the
// plan's pick and it swap places.
func (e *executor) pickMaster(ctx context.Context, r plan.Resource) plan.Resource {
	if len(r.Steps) == 0 || r.Steps[0].Op != "promote" || !r.Steps[0].Pick {
		return r
	}
	guess := r.Steps[0].Node
	names := []string{guess}
	for _, s := range r.Steps[1:] {
		if s.Target == guess {
			names = append(names, s.Node)
		}
	}
	keys := make([]int64, len(names))
	var counts []string
	for i, n := range names {
		keys[i] = -1
		node, _ := e.spec.Node(n)
		if info, err := e.replication(ctx, e.current(n)); err == nil {
			keys[i] = info.Keys(node.Database)
		}
		counts = append(counts, fmt.Sprintf("%s %d", n, keys[i]))
	}
	published := ""
	if p, err := strconv.Atoi(r.Name); err == nil {
		if ms := e.lastMasters(ctx); p < len(ms) {
			published = ms[p]
		}
	}
	pick, why := restartMaster(names, keys, published)
	e.opts.Report(Event{Time: time.Now(), Type: "info", Address: r.Address, Message: fmt.Sprintf(
		"%s becomes master of partition %s: %s (keys: %s)", names[pick], r.Name, why, strings.Join(counts, ", "))})
	if pick == 0 {
		return r
	}
	swap := func(n string) string {
		switch n {
		case guess:
			return names[pick]
		case names[pick]:
			return guess
		}
		return n
	}
	steps := make([]plan.Step, len(r.Steps))
	for i, s := range r.Steps {
		s.Node, s.Target = swap(s.Node), swap(s.Target)
		steps[i] = s
	}
	r.Steps = steps
	return r
}

// lastOrMost is the rule by which roma start and apply pick a partition's
// master among nodes that come back with their data (amounts: how much
// each holds, -1 unknown): last, the last master romad published, which
// had the newest data, unless it holds nothing while another holds
// something (its data lost); else the one holding the most, ties going to
// the first.
func lastOrMost(names []string, amounts []int64, last string) int {
	best := 0
	for i := range names {
		if amounts[i] > amounts[best] {
			best = i
		}
	}
	if k := slices.Index(names, last); k >= 0 && (amounts[k] > 0 || amounts[best] <= 0) {
		return k
	}
	return best
}

// restartMaster picks, of a partition's nodes just started with their
// data (keys: each one's key count, -1 unknown), the master by
// lastOrMost, and says why.
func restartMaster(names []string, keys []int64, published string) (int, string) {
	i := lastOrMost(names, keys, published)
	switch {
	case names[i] == published:
		return i, "the master romad last published, which has the newest data"
	case slices.Contains(names, published):
		return i, fmt.Sprintf("%s, the master romad last published, holds no key, and it holds the most", published)
	case i == 0:
		return i, "the status names none of them, and none holds more keys"
	}
	return i, "the status names none of them, and it holds the most keys"
}

// awaitPublished waits, for at most publishWait, until the status romad
// publishes names master as partition p's. Without romad, or when it does
// not in time, it says so and returns: a restart does not wait on romad.
func (e *executor) awaitPublished(ctx context.Context, p int, master string) {
	if e.spec.Romad == nil || len(e.spec.Status) == 0 {
		return
	}
	clients, done := e.statusClients(nil)
	defer done()
	deadline := time.Now().Add(publishWait)
	for {
		if ms := e.mastersFrom(ctx, clients); p < len(ms) && ms[p] == master {
			return
		}
		if time.Now().After(deadline) || sleepCtx(ctx, 100*time.Millisecond) != nil {
			e.opts.Report(Event{Time: time.Now(), Type: "info", Address: "partition." + strconv.Itoa(p), Message: fmt.Sprintf(
				"romad has not published %s as the master of partition %d within %s (is romad running?): clients may wait for it", master, p, publishWait)})
			return
		}
	}
}

// publishWait bounds awaitPublished: romad follows a switchover within
// moments.
const publishWait = 10 * time.Second

// current returns node (or status node) name's target where it runs now:
// where the plan's restart step says, for a node that moves (its port or
// its host's address changed), else where roma.hcl declares it.
func (e *executor) current(name string) redisconf.Target {
	tg := e.targets[name]
	kind := kindOf(tg)
	for _, r := range e.p.Resources {
		if r.Name != name || r.Kind != kind {
			continue
		}
		for _, s := range r.Steps {
			if s.Op == "restart" && s.Addr != "" {
				if at, ok := at(tg, s.Addr); ok {
					tg = at
				}
			}
		}
	}
	return tg
}

// at returns tg at addr (host:port), and whether addr is one.
func at(tg redisconf.Target, addr string) (redisconf.Target, bool) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return tg, false
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return tg, false
	}
	tg.Host.Address, tg.Port = host, p
	return tg, true
}

// leavingTarget returns the node a handover step hands over from: one that
// roma.hcl no longer declares at s.Addr (its host may be gone from
// roma.hcl too: only its Redis protocol address is used).
func (e *executor) leavingTarget(s plan.Step) (redisconf.Target, error) {
	tg, ok := at(redisconf.Target{Kind: redisconf.KindData, Name: s.Node}, s.Addr)
	if !ok {
		return tg, fmt.Errorf("the plan's handover from %s names no address (%q)", s.Node, s.Addr)
	}
	tg.Host.Name = tg.Host.Address
	return tg, nil
}

// promote makes tg a master, unless that would put an empty node in
// charge of a partition whose other nodes hold data.
func (e *executor) promote(ctx context.Context, tg redisconf.Target) error {
	st, err := e.replication(ctx, tg)
	if err != nil {
		return err
	}
	if st.TotalKeys() == 0 {
		for _, n := range e.spec.PartitionNodes(tg.Partition) {
			if n.Name == tg.Name {
				continue
			}
			other, err := e.replication(ctx, e.targets[n.Name])
			if err == nil && other.TotalKeys() > 0 {
				return fmt.Errorf("refusing to make %s master: it is empty while %s holds %d keys; start %s first, or make it master by hand",
					tg.Name, n.Name, other.TotalKeys(), n.Name)
			}
		}
	}
	return e.replicaOf(ctx, tg, nil)
}

// runtimeSettings applies settings Redis takes at runtime with CONFIG SET.
func (e *executor) runtimeSettings(ctx context.Context) {
	var jobs []job
	for _, r := range e.nodeResources("status", "node") {
		if !hasStep(r, "config-set") || r.Action == plan.Restart {
			continue
		}
		tg, ok := e.targets[r.Name]
		if !ok {
			continue
		}
		var attrs []string
		for _, c := range r.Changes {
			if !c.Restart && redisconf.Known(c.Attr) {
				attrs = append(attrs, c.Attr)
			}
		}
		if len(attrs) == 0 {
			continue
		}
		jobs = append(jobs, job{address: r.Address, host: tg.Host.Name, verb: "CONFIG SET " + strings.Join(attrs, ", "), doneMsg: "settings applied at runtime, no restart",
			run: func(ctx context.Context, _ remote.Transport) error { return e.configSet(ctx, tg, attrs) }})
	}
	if len(jobs) > 0 {
		e.phase("Settings at runtime")
		e.runJobs(ctx, jobs)
	}
}

// passwordsPhase gives every running node whose plan says so the default
// user's passwords roma.hcl gives, at runtime. It runs before anything
// else touches a node: a rotation's nodes must all accept the new password
// before any replica authenticates with it (masterauth, a restart).
func (e *executor) passwordsPhase(ctx context.Context) {
	verb, done := "CONFIG SET requirepass", "its password set at runtime"
	if e.spec.Password.Previous().IsSet() {
		verb, done = "ACL SETUSER default", "accepts the new and the previous password"
	}
	var jobs []job
	for _, r := range e.nodeResources("status", "node") {
		if !hasStep(r, "passwords") {
			continue
		}
		tg, ok := e.targets[r.Name]
		if !ok {
			continue
		}
		jobs = append(jobs, job{address: r.Address, host: tg.Host.Name, verb: verb, doneMsg: done,
			run: func(ctx context.Context, _ remote.Transport) error { return e.setPasswords(ctx, tg) }})
	}
	if len(jobs) > 0 {
		e.phase("Passwords")
		e.runJobs(ctx, jobs)
	}
}

// setPasswords has tg's default user accept exactly roma.hcl's passwords:
// during a rotation both (ACL SETUSER, atomic, as hashes), else the one
// (CONFIG SET requirepass, which also drops any other).
func (e *executor) setPasswords(ctx context.Context, tg redisconf.Target) error {
	c := e.client(ctx, tg)
	defer c.Close()
	pw := e.spec.Password
	var err error
	if pw.Previous().IsSet() {
		err = c.Do(ctx, "ACL", "SETUSER", "default", "resetpass",
			"#"+redisconf.PasswordHash(pw.Reveal()), "#"+redisconf.PasswordHash(pw.Previous().Reveal())).Err()
	} else {
		err = c.ConfigSet(ctx, "requirepass", pw.Reveal()).Err()
	}
	if err != nil {
		return fmt.Errorf("setting the passwords of %s: %w", tg.Name, pw.RedactError(err))
	}
	return nil
}

func (e *executor) configSet(ctx context.Context, tg redisconf.Target, attrs []string) error {
	desired := redisconf.Desired(e.spec, tg)
	c := e.client(ctx, tg)
	defer c.Close()
	for _, a := range attrs {
		var v string
		if s, ok := desired[a]; ok {
			v = strings.Join(s.Values, " ")
		} else if def, ok := redisconf.Watched[a]; ok {
			v = def
		} else {
			continue
		}
		if err := c.ConfigSet(ctx, a, v).Err(); err != nil {
			shown := v
			if desired[a].Sensitive || a == "requirepass" || a == "masterauth" {
				shown = "(sensitive)"
			}
			return fmt.Errorf("CONFIG SET %s %s on %s: %w", a, shown, tg.Name, e.spec.Password.RedactError(err))
		}
	}
	return nil
}

// rollingRestarts restarts the nodes whose changes need it: per partition
// one node at a time, replicas first, the master last after handing its
// role to an in-sync replica; partitions in parallel.
func (e *executor) rollingRestarts(ctx context.Context) {
	byPart := map[string][]string{}
	var keys []string
	for _, r := range e.nodeResources("status", "node") {
		if r.Action != plan.Restart || e.hasFailed(r.Address) {
			continue
		}
		tg, ok := e.targets[r.Name]
		if !ok {
			continue
		}
		k := "status"
		if tg.Kind == redisconf.KindData {
			k = "partition." + strconv.Itoa(tg.Partition)
		}
		if _, ok := byPart[k]; !ok {
			keys = append(keys, k)
		}
		byPart[k] = append(byPart[k], r.Name)
	}
	if len(keys) == 0 {
		return
	}
	sort.Strings(keys)
	e.phase("Rolling restarts (one node per partition at a time, replicas first)")
	e.parallel(keys, func(k string) {
		if k == "status" {
			ns := byPart[k]
			for i, n := range ns {
				tg := e.targets[n]
				if !e.step(ctx, "status."+n, tg.Host.Name, "restarting", "restarted", func(ctx context.Context) error {
					return e.restart(ctx, tg)
				}) {
					for _, r := range ns[i+1:] {
						e.skip("status."+r, e.targets[r].Host.Name, fmt.Sprintf("the status nodes' rolling restart stopped at %s, which did not come back", n))
					}
					return
				}
			}
			return
		}
		e.rollPartition(ctx, byPart[k])
	})
}

func (e *executor) restart(ctx context.Context, tg redisconf.Target) error {
	return e.restartAs(ctx, tg, nil)
}

// restartAs restarts tg; with master set, it comes back as its replica.
// It stops the node as roma stop does, with SHUTDOWN SAVE: a node that
// keeps no snapshot and no append-only file (save "", appendonly no)
// would come back empty from a plain stop, and the only node of a
// partition, restarted in place, would lose every key; a replica that
// saved comes back with its replication offset, for a partial resync.
func (e *executor) restartAs(ctx context.Context, tg redisconf.Target, master *redisconf.Target) error {
	t, err := e.conn(ctx, tg.Host.Name)
	if err != nil {
		return err
	}
	cur := e.current(tg.Name) // where it runs now: a move restarts it elsewhere
	if err := e.shutdownSave(ctx, cur); err != nil {
		// The node keeps the file it runs with: the plan still shows
		// the change.
		return err
	}
	if err := e.writeRollConf(ctx, t, tg); err != nil {
		return err
	}
	return e.startKeepingData(ctx, t, tg, redisconf.Render(e.spec, tg), true, func(ctx context.Context) error {
		if err := runService(ctx, t, tg.Host, e.replicaUnit(tg.Name, tg.Host, master), true); err != nil {
			return err
		}
		return e.waitReady(ctx, tg)
	})
}

func (e *executor) rollPartition(ctx context.Context, names []string) {
	first := e.targets[names[0]]
	nodes := e.spec.PartitionNodes(first.Partition)
	// Find the master as it is now, where it runs now.
	var master *redisconf.Target
	for _, n := range nodes {
		tg := e.current(n.Name)
		if st, err := e.replication(ctx, tg); err == nil && st["role"] == "master" {
			master = &tg
			break
		}
	}
	if master == nil {
		for _, n := range names {
			e.fail("node."+n, e.targets[n].Host.Name, fmt.Errorf("partition %d has no master to roll around; run roma plan", first.Partition), 0)
		}
		return
	}
	restartMaster := false
	for i, n := range names {
		if n == master.Name {
			restartMaster = true
			continue
		}
		tg := e.targets[n] // where it runs once restarted
		m := *master
		if !e.step(ctx, "node."+n, tg.Host.Name, "restarting (replica of "+m.Name+")", "restarted and in sync with "+m.Name, func(ctx context.Context) error {
			if err := e.restartAs(ctx, tg, &m); err != nil {
				return err
			}
			if err := e.replicaOf(ctx, tg, &m); err != nil {
				return err
			}
			return e.waitSynced(ctx, tg, m)
		}) {
			// The rest of the partition stays as it is, its conf files
			// included (writeConfs): the next plan shows their changes.
			rest := names[i+1:]
			if restartMaster {
				rest = append([]string{master.Name}, rest...)
			}
			for _, r := range rest {
				e.skip("node."+r, e.targets[r].Host.Name, fmt.Sprintf("partition %d's rolling restart stopped at %s, which did not come back", first.Partition, n))
			}
			return
		}
	}
	if !restartMaster {
		return
	}
	old := *master // where it runs now; oldTg, where it runs once restarted
	oldTg := e.targets[old.Name]
	// The replica that takes over: in sync, highest offset.
	var next *redisconf.Target
	var best int64 = -1
	for _, n := range nodes {
		if n.Name == old.Name {
			continue
		}
		tg := e.targets[n.Name]
		st, err := e.replication(ctx, tg)
		if err == nil && st.Replica() && st.LinkUp() && st.MasterAddr() == e.addr(old) && st.Offset() > best {
			best, next = st.Offset(), &tg
		}
	}
	addr := "node." + old.Name
	if next == nil && len(nodes) > 1 {
		// Its replicas are down, or behind: they may have failed to
		// start in this very apply. Restarting the master would leave
		// the partition without any node.
		var others []string
		for _, n := range nodes {
			if n.Name != old.Name {
				others = append(others, n.Name)
			}
		}
		e.fail(addr, old.Host.Name, fmt.Errorf("not restarted: no replica of partition %d (%s) is up and in sync to take over, and a restart in place would leave the partition unavailable; bring them up (roma plan says what is wrong), then apply again",
			first.Partition, strings.Join(others, ", ")), 0)
		return
	}
	if next == nil {
		e.opts.Report(Event{Time: time.Now(), Type: "info", Address: addr,
			Message: "no in-sync replica to hand over to: restarting the master in place, its partition is unavailable meanwhile"})
		e.step(ctx, addr, old.Host.Name, "restarting (master, no replica)", "restarted", func(ctx context.Context) error {
			return e.restart(ctx, oldTg)
		})
		return
	}
	nm := *next
	e.step(ctx, addr, old.Host.Name, "handing over to "+nm.Name+" (FAILOVER), then restarting", "restarted, now a replica of "+nm.Name, func(ctx context.Context) error {
		if err := e.failover(ctx, old, nm); err != nil {
			return err
		}
		// Other replicas follow the new master.
		for _, n := range nodes {
			if n.Name == old.Name || n.Name == nm.Name {
				continue
			}
			if err := e.replicaOf(ctx, e.targets[n.Name], &nm); err != nil {
				return err
			}
		}
		// Clients follow romad's status: once it names nm (romad sees
		// old follow nm), they have moved before old goes down, and
		// never find their master gone (old may not even come back
		// where romad's configuration has it: a move).
		e.awaitPublished(ctx, first.Partition, nm.Name)
		if err := e.restartAs(ctx, oldTg, &nm); err != nil {
			return err
		}
		if err := e.replicaOf(ctx, oldTg, &nm); err != nil {
			return err
		}
		return e.waitSynced(ctx, oldTg, nm)
	})
}

// deletes stops and removes the nodes roma.hcl no longer declares, and the
// old side of replaced nodes. Their data directories stay.
func (e *executor) deletes(ctx context.Context) {
	var jobs []job
	for _, r := range e.nodeResources("status", "node") {
		host := ""
		switch r.Action {
		case plan.Delete:
			host = r.Host
		case plan.Replace:
			for _, s := range r.Steps {
				if s.Op == "delete" {
					host = s.Target
				}
			}
		}
		if host == "" || e.hasFailed(r.Address) {
			continue
		}
		h, ok := e.spec.Host(host)
		if !ok {
			e.fail(r.Address, host, fmt.Errorf("host %s is no longer in roma.hcl, so roma cannot reach it to remove %s", host, r.Name), 0)
			continue
		}
		name := r.Name
		l := cluster.LayoutOf(h)
		jobs = append(jobs, job{address: r.Address, host: host, verb: "stopping and removing", doneMsg: "destroyed (data kept in " + l.Data(name) + ")",
			run: func(ctx context.Context, t remote.Transport) error {
				mgr, err := service.For(h.Service)
				if err != nil {
					return err
				}
				if _, err := mgr.Uninstall(ctx, t, e.unit(name, h)); err != nil {
					return err
				}
				for _, f := range []string{l.Conf(name), l.Pid(name)} {
					if err := t.Remove(ctx, f); err != nil && !isNotExist(err) {
						return err
					}
				}
				return nil
			}})
	}
	for _, r := range e.p.Resources {
		if r.Kind != "romad" || r.Action != plan.Delete {
			continue
		}
		h, ok := e.spec.Host(r.Host)
		if !ok {
			continue
		}
		jobs = append(jobs, job{address: r.Address, host: h.Name, verb: "stopping and removing romad", doneMsg: "romad removed",
			run: func(ctx context.Context, t remote.Transport) error { return e.removeRomad(ctx, t, h) }})
	}
	if len(jobs) > 0 {
		e.phase("Destroying")
		e.runJobs(ctx, jobs)
	}
}

// verify plans again: an apply that succeeded leaves nothing to do.
func (e *executor) verify(ctx context.Context) {
	e.phase("Verifying")
	st := plan.Observer{Dial: func(ctx context.Context, h cluster.Host) (remote.Transport, error) {
		t, err := e.conn(ctx, h.Name)
		if err != nil {
			return nil, err
		}
		return nopClose{t}, nil
	}, Parallelism: e.opts.Parallelism}.Observe(ctx, e.spec)
	p := plan.Diff(e.spec, st, plan.Options{Targets: e.p.Targets})
	if p.HasChanges() || len(p.Unobserved) > 0 {
		e.res.Remaining = p
		e.opts.Report(Event{Time: time.Now(), Type: "info", Message: "verify: the cluster has not converged yet"})
		return
	}
	e.opts.Report(Event{Time: time.Now(), Type: "info", Message: "verify: roma.hcl and the live cluster match"})
}

// nopClose keeps the executor's shared connection open when the observer
// closes it.
type nopClose struct{ remote.Transport }

func (nopClose) Close() error { return nil }
