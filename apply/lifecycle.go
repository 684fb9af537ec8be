package apply

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/plan"
	"github.com/roma-redis/roma/providers/service"
	"github.com/roma-redis/roma/redisconf"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/redisinfo"
	"github.com/roma-redis/roma/remote"
	"github.com/roma-redis/roma/status"
)

// Scope limits start, stop and destroy to some hosts; empty means all.
type Scope struct {
	Hosts []string
}

func (s Scope) has(host string) bool {
	if len(s.Hosts) == 0 {
		return true
	}
	for _, h := range s.Hosts {
		if h == host {
			return true
		}
	}
	return false
}

// lifecycle runs fn holding the cluster lock, with an executor for spec.
func lifecycle(ctx context.Context, spec *cluster.Spec, opts Options, op string, fn func(ctx context.Context, e *executor) error) (*Result, error) {
	start := time.Now()
	if opts.Parallelism <= 0 {
		opts.Parallelism = 16
	}
	if opts.Report == nil {
		opts.Report = func(Event) {}
	}
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = DefaultReadyTimeout
	}
	opts.Operation = op
	e := newExecutor(spec, nil, opts)
	defer e.closeAll()
	for _, s := range spec.Status {
		e.targets[s.Name] = redisconf.StatusTarget(spec, s)
	}
	for _, n := range spec.Nodes {
		e.targets[n.Name] = redisconf.DataTarget(spec, n)
	}
	lh := LockHost(spec)
	t, err := e.conn(ctx, lh.Name)
	if err != nil {
		return e.res, fmt.Errorf("connecting to lock host %s: %w", lh.Name, err)
	}
	lock, err := AcquireLock(ctx, t, lh, op, opts.LockTTL, opts.LockTimeout)
	if err != nil {
		return e.res, err
	}
	defer lock.Release()
	err = fn(ctx, e)
	e.res.Elapsed = time.Since(start)
	if err == nil {
		err = e.res.Error()
	}
	return e.res, err
}

// followSynced waits until tg, started as a replica of master, is in
// sync with it. When romad fails master over meanwhile, tg follows the
// new master (another node of its partition), or is master itself: start
// has then done its part, a node that runs and replicates, and waits for
// tg's sync with the master romad gave it.
func (e *executor) followSynced(ctx context.Context, tg, master redisconf.Target) error {
	for range 3 {
		err := e.syncWait(ctx, tg, master)
		var nf *redisconn.NotFollowingError
		if !errors.As(err, &nf) {
			return err
		}
		if nf.Follows == "" {
			return nil
		}
		next, ok := e.dataNodeAt(nf.Follows, tg.Partition)
		if !ok {
			return fmt.Errorf("%s, started as a replica of %s: %s now, not a node of partition %d", tg.Name, master.Name, e.following(nf), tg.Partition)
		}
		master = next
	}
	return fmt.Errorf("%s was repointed to another master 3 times as it synced: run roma start again once romad's failovers are over", tg.Name)
}

// startingMaster picks, of a partition's stopped nodes, the one to start
// as master by lastOrMost over the data each holds on disk.
func (e *executor) startingMaster(ctx context.Context, stopped []redisconf.Target, published string) int {
	names := make([]string, len(stopped))
	sizes := make([]int64, len(stopped))
	for i, tg := range stopped {
		names[i], sizes[i] = tg.Name, e.rdbSize(ctx, tg)
	}
	return lastOrMost(names, sizes, published)
}

// lastMasters returns each partition's last master as the status romad
// last published names it, read from a majority of the status nodes: its
// master, or the master it lost (HALT); an empty name where none can be
// read.
func (e *executor) lastMasters(ctx context.Context) []string {
	clients, done := e.statusClients(nil)
	defer done()
	if len(clients) == 0 {
		return make([]string, e.spec.Partitions)
	}
	return e.readPublished(ctx, clients).LastMasters(e.spec.Partitions)
}

// mastersFrom returns each partition's master as the status a majority
// of clients, the status nodes, names it; an empty name where none can be
// read.
func (e *executor) mastersFrom(ctx context.Context, clients map[string]*redis.Client) []string {
	if len(clients) == 0 {
		return make([]string, e.spec.Partitions)
	}
	return e.readPublished(ctx, clients).Masters(e.spec.Partitions)
}

// readPublished reads the published status from a quorum of clients, the
// status nodes, within 5s.
func (e *executor) readPublished(ctx context.Context, clients map[string]*redis.Client) status.Reading {
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return status.ReadQuorum(rctx, clients, e.spec.Name)
}

// statusClients opens a client of each status node roma.hcl declares,
// but those skip names, by address; done closes them.
func (e *executor) statusClients(skip map[string]bool) (clients map[string]*redis.Client, done func()) {
	clients = map[string]*redis.Client{}
	for _, s := range e.spec.Status {
		if skip[s.Name] {
			continue
		}
		addr := e.addr(e.targets[s.Name])
		o := redisconn.Options(addr, e.spec.Password.Reveal(), 2*time.Second, 1)
		clients[addr] = redisconn.NewClient(redisconn.WithPrevious(o, e.spec.Password.Previous().Reveal()))
	}
	return clients, func() {
		for _, c := range clients {
			c.Close()
		}
	}
}

// seedStatusNodes copies the published status, read from a majority of
// the status nodes this apply did not create, onto those it created. romad
// writes to them only once the romad phase restarts it with the new
// roma.hcl; until then a client of the new roma.hcl, reading a majority
// of the status nodes it declares, would find them empty and take the
// cluster as in HALT. The copy is fenced as every status write is: a
// status node that holds a higher epoch keeps it.
func (e *executor) seedStatusNodes(ctx context.Context) {
	created := map[string]bool{}
	for _, r := range e.p.Resources {
		if r.Kind == "status" && r.Action == plan.Create && !e.hasFailed(r.Address) {
			created[r.Name] = true
		}
	}
	if len(created) == 0 {
		return
	}
	old, done := e.statusClients(created)
	defer done()
	if len(old) == 0 {
		return // a fresh cluster: romad writes the first status
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	r := status.ReadMajority(rctx, old, e.spec.Name)
	cancel()
	if r.Status == nil || !r.Majority {
		e.opts.Report(Event{Time: time.Now(), Type: "info", Message: fmt.Sprintf(
			"the new status nodes stay empty until romad writes to them: no status agreed on by a majority of the others (%s)", r.Summary())})
		return
	}
	for _, s := range e.spec.Status {
		if !created[s.Name] {
			continue
		}
		tg := e.targets[s.Name]
		e.step(ctx, "status."+s.Name, tg.Host.Name, "copying the published status", fmt.Sprintf("holds the status at epoch %d", r.Status.Epoch), func(ctx context.Context) error {
			c := e.client(ctx, tg)
			defer c.Close()
			if err := status.Write(ctx, c, r.Status); err != nil && !errors.Is(err, status.ErrStaleEpoch) {
				return fmt.Errorf("writing the status on %s: %w", s.Name, e.spec.Password.RedactError(err))
			}
			return nil
		})
	}
}

// rdbSize returns the size of a node's dump.rdb plus its append-only
// files, a proxy for how much data it holds while it is stopped.
func (e *executor) rdbSize(ctx context.Context, tg redisconf.Target) int64 {
	t, err := e.conn(ctx, tg.Host.Name)
	if err != nil {
		return -1
	}
	dir := cluster.LayoutOf(tg.Host).Data(tg.Name)
	res, err := t.Run(ctx, "du -sb "+remote.ShellQuote(dir)+" 2>/dev/null | cut -f1")
	if err != nil {
		return -1
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(res.Stdout)), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// running reports whether tg runs, with its INFO replication. A node
// loading its dataset runs: it refuses PING with LOADING, and answers
// INFO. start waits its load out; stop stops it (Redis saves nothing
// while it loads, and the file it loads stays as it was). So does a node
// that cannot save (MISCONF): stop was silent about it, and left it
// running; it now says why it cannot stop it (shutdownSave).
func (e *executor) running(ctx context.Context, tg redisconf.Target) (redisinfo.Info, bool) {
	c := e.client(ctx, tg)
	defer c.Close()
	// A node loading its data runs; so does one that cannot save, which
	// answers PING with MISCONF (and stop says why it cannot stop it).
	if err := c.Ping(ctx).Err(); err != nil && !redis.IsLoadingError(err) && !isMisconf(err) {
		return nil, false
	}
	st, err := e.replication(ctx, tg)
	return st, err == nil
}

// passwordRefused returns an error naming the nodes op would act on or
// judge by (the status nodes on the hosts in scope, and every data node
// of a partition with a node there) that run but refuse roma.hcl's
// password; nil when there are none. Taken for stopped, such nodes would
// be left running by stop, which would then report success, started
// beside by start (a second master), and have their files removed under
// them by destroy.
func (e *executor) passwordRefused(ctx context.Context, scope Scope, op string) error {
	var tgs []redisconf.Target
	for _, s := range e.spec.Status {
		if tg := e.targets[s.Name]; scope.has(tg.Host.Name) {
			tgs = append(tgs, tg)
		}
	}
	for p := range e.spec.Partitions {
		nodes := e.spec.PartitionNodes(p)
		if slices.ContainsFunc(nodes, func(n cluster.Node) bool { return scope.has(n.Host) }) {
			for _, n := range nodes {
				tgs = append(tgs, e.targets[n.Name])
			}
		}
	}
	refused := make([]bool, len(tgs))
	var wg sync.WaitGroup
	for i, tg := range tgs {
		wg.Go(func() {
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			c := e.client(pctx, tg)
			defer c.Close()
			refused[i] = redisconn.RefusesPassword(c.Ping(pctx).Err())
		})
	}
	wg.Wait()
	var names []string
	for i, tg := range tgs {
		if refused[i] {
			names = append(names, fmt.Sprintf("%s (%s on %s)", tg.Name, e.addr(tg), tg.Host.Name))
		}
	}
	const fix = cluster.PasswordHint
	switch {
	case len(names) == 0:
		return nil
	case len(names) == len(tgs) && len(names) > 1:
		return fmt.Errorf("refusing to %s: every node (%d) runs with another password than roma.hcl's: roma can neither tell their state nor stop or start them; %s",
			op, len(names), fix)
	case len(names) > 5:
		names = append(names[:5], fmt.Sprintf("and %d more", len(names)-5))
	}
	if len(names) == 1 {
		return fmt.Errorf("refusing to %s: %s runs with another password than roma.hcl's: roma can neither tell its state nor stop or start it; %s",
			op, names[0], fix)
	}
	return fmt.Errorf("refusing to %s: %s run with another password than roma.hcl's: roma can neither tell their state nor stop or start them; %s",
		op, strings.Join(names, ", "), fix)
}

// romadHosts returns the romad hosts in scope.
func (e *executor) romadHosts(scope Scope) []cluster.Host {
	var out []cluster.Host
	if e.spec.Romad == nil {
		return nil
	}
	for _, hn := range e.spec.Romad.Hosts {
		if h, ok := e.spec.Host(hn); ok && scope.has(hn) {
			out = append(out, h)
		}
	}
	return out
}

// romadService starts or stops romad on the hosts in scope where it is
// installed.
func (e *executor) romadService(ctx context.Context, scope Scope, start bool) {
	hosts := e.romadHosts(scope)
	if len(hosts) == 0 {
		return
	}
	if start {
		e.phase("Starting romad")
	} else {
		e.phase("Stopping romad")
	}
	var jobs []job
	for _, h := range hosts {
		if start && e.romadAnswer(ctx, h) == nil {
			continue // running already, as a started node is left alone
		}
		verb, done := "stopping romad", "romad stopped"
		if start {
			verb, done = "starting romad", "romad running"
		}
		jobs = append(jobs, job{address: "romad." + h.Name, host: h.Name, verb: verb, doneMsg: done,
			run: func(ctx context.Context, t remote.Transport) error {
				if _, err := t.Stat(ctx, cluster.LayoutOf(h).RomadBin()); err != nil {
					return nil // not installed: nothing to do
				}
				mgr, err := service.For(h.Service)
				if err != nil {
					return err
				}
				if !start {
					if err := mgr.Stop(ctx, t, e.romadUnit(h)); err != nil {
						return err
					}
					e.markHost(ctx, t, h, "romad")
					return nil
				}
				if err := mgr.Start(ctx, t, e.romadUnit(h)); err != nil {
					return err
				}
				return e.waitRomad(ctx, h)
			}})
	}
	e.runJobs(ctx, jobs)
}

// Start starts the cluster's stopped nodes (status nodes first), the
// original roma-start. In each partition, unless a master already runs,
// the last master of the status romad last published (its master, or
// the one it lost at HALT) comes up master: it had the newest data when
// the cluster stopped (stop takes replicas down first, and romad before
// anything). When no status names one of the nodes to start, or it holds
// nothing on disk while another does, the node with the most data on disk
// does. The others come up as its replicas. A master that runs while the
// last master is to start came back on its own, on older data: it
// becomes the last master's replica.
func Start(ctx context.Context, spec *cluster.Spec, scope Scope, opts Options) (*Result, error) {
	return lifecycle(ctx, spec, opts, "start", func(ctx context.Context, e *executor) error {
		if err := e.passwordRefused(ctx, scope, "start"); err != nil {
			return err
		}
		var (
			mu      sync.Mutex
			started []redisconf.Target
		)
		startOne := func(ctx context.Context, tg redisconf.Target, master *redisconf.Target) bool {
			addr := resource(tg)
			verb := "starting"
			if master != nil {
				verb += " as a replica of " + master.Name
			}
			ok := e.step(ctx, addr, tg.Host.Name, verb, "started", func(ctx context.Context) error {
				t, err := e.conn(ctx, tg.Host.Name)
				if err != nil {
					return err
				}
				mgr, err := service.For(tg.Host.Service)
				if err != nil {
					return err
				}
				conf, err := t.ReadFile(ctx, cluster.LayoutOf(tg.Host).Conf(tg.Name))
				if err != nil {
					return fmt.Errorf("%s has no conf file on %s: run roma apply first", tg.Name, tg.Host.Name)
				}
				// Started from its conf file, it listens where the last
				// apply put it: roma.hcl may say otherwise since.
				if have, want := redisconf.FileAddr(conf), e.addr(tg); have != "" && have != want {
					return fmt.Errorf("%s's conf file on %s has it at %s, roma.hcl at %s: roma.hcl changed since the last apply; run roma apply, which moves it, or start with the roma.hcl last applied",
						tg.Name, tg.Host.Name, have, want)
				}
				if err := e.startKeepingData(ctx, t, tg, conf, false, func(ctx context.Context) error {
					if err := mgr.Start(ctx, t, e.replicaUnit(tg.Name, tg.Host, master)); err != nil {
						return err
					}
					return e.waitReady(ctx, tg)
				}); err != nil {
					return damagedHint(err, tg, master)
				}
				if master != nil {
					return e.followSynced(ctx, tg, *master)
				}
				return nil
			})
			if ok {
				mu.Lock()
				started = append(started, tg)
				mu.Unlock()
			}
			return ok
		}
		e.phase("Starting status nodes")
		for _, s := range spec.Status {
			tg := e.targets[s.Name]
			if !scope.has(tg.Host.Name) {
				continue
			}
			if _, up := e.running(ctx, tg); !up && !e.silent(ctx, tg, "start") {
				startOne(ctx, tg, nil)
			}
		}
		published := e.lastMasters(ctx)
		e.phase("Starting data nodes")
		var parts []string
		for p := 0; p < spec.Partitions; p++ {
			parts = append(parts, strconv.Itoa(p))
		}
		e.parallel(parts, func(ps string) {
			p, _ := strconv.Atoi(ps)
			var master *redisconf.Target
			var stopped []redisconf.Target
			var hung string               // a node that does not answer, though it runs
			var silent []redisconf.Target // nodes out of scope that do not answer
			for _, n := range spec.PartitionNodes(p) {
				tg := e.targets[n.Name]
				st, up := e.running(ctx, tg)
				switch {
				case up && st["role"] == "master" && master == nil:
					master = &tg
				case up:
				case !scope.has(tg.Host.Name):
					silent = append(silent, tg)
				case e.silent(ctx, tg, "start"):
					hung = tg.Name
				default:
					stopped = append(stopped, tg)
				}
			}
			if len(stopped) == 0 {
				return
			}
			for _, tg := range silent {
				if master != nil || hung != "" {
					break // only a start with no master to follow asks their hosts
				}
				if _, ok := e.hung(ctx, tg); ok {
					hung = tg.Name
				}
			}
			if master == nil && hung != "" {
				// The hung node may be the partition's master, paused:
				// another one started now would be a second master once
				// it runs again.
				for _, tg := range stopped {
					e.skip("node."+tg.Name, tg.Host.Name, fmt.Sprintf("partition %d has no master that answers, and %s, which may be its master, does not answer though it runs: a master started now could be a second one", p, hung))
				}
				return
			}
			// A master that runs while the partition's last master is
			// among the nodes to start came back on its own, on older
			// data: the last master starts as master, and it follows.
			var older *redisconf.Target
			if master != nil && master.Name != published[p] && slices.ContainsFunc(stopped, func(tg redisconf.Target) bool { return tg.Name == published[p] }) {
				older, master = master, nil
			}
			if master == nil {
				best := e.startingMaster(ctx, stopped, published[p])
				m := stopped[best]
				if !startOne(ctx, m, nil) {
					return
				}
				master = &m
				stopped = append(stopped[:best:best], stopped[best+1:]...)
			}
			if older != nil && older.Name != master.Name {
				e.step(ctx, "node."+older.Name, older.Host.Name, "making it, master on older data, a replica of "+master.Name, "replicates from "+master.Name+" in sync", func(ctx context.Context) error {
					if err := e.replicaOf(ctx, *older, master); err != nil {
						return err
					}
					return e.followSynced(ctx, *older, *master)
				})
			}
			for _, tg := range stopped {
				startOne(ctx, tg, master)
			}
		})
		// No node in scope is stopped on purpose any more.
		var names []string
		for name, tg := range e.targets {
			if scope.has(tg.Host.Name) {
				names = append(names, name)
			}
		}
		for _, h := range e.romadHosts(scope) {
			names = append(names, "romad."+h.Name)
		}
		e.clearStopped(ctx, names)
		e.romadService(ctx, scope, true)
		e.stillUp(ctx, started)
		return nil
	})
}

// settle is how long after its starts roma start looks again at the
// nodes it started: a node that cannot write (its disk full) answers
// PING, then exits at its first write, which romad makes within it.
const settle = time.Second

// stillUp fails each of the nodes start started that, settle after the
// starts, no longer answers: it came up, then stopped again (a status
// node whose disk is full exits at its first write), and start must not
// report success.
func (e *executor) stillUp(ctx context.Context, started []redisconf.Target) {
	if len(started) == 0 {
		return
	}
	select {
	case <-ctx.Done():
		return
	case <-time.After(settle):
	}
	for _, tg := range started {
		if _, up := e.running(ctx, tg); up || ctx.Err() != nil {
			continue
		}
		e.fail(resource(tg), tg.Host.Name, fmt.Errorf("%s at %s started, then stopped again: roma plan quotes what its log (%s on %s) last said", tg.Name, e.addr(tg), cluster.LayoutOf(tg.Host).Log(tg.Name), tg.Host.Name), 0)
	}
}

// Stop stops nodes gracefully with a save, the original roma-stop: in each
// partition the replicas first and the master last, so a partition's last
// master never goes first. When only some hosts stop, a master on them
// hands over to an in-sync replica elsewhere first (FAILOVER). Status
// nodes stop last.
func Stop(ctx context.Context, spec *cluster.Spec, scope Scope, opts Options) (*Result, error) {
	return stop(ctx, spec, scope, opts, true, "stop")
}

// stop is Stop; without save, the nodes stop without saving (SHUTDOWN
// NOSAVE), for destroy -purge-data, which deletes their data anyway: a
// save would only take time, and a node that cannot save (MISCONF) would
// not stop. op names the command in a refusal: stop or destroy.
func stop(ctx context.Context, spec *cluster.Spec, scope Scope, opts Options, save bool, op string) (*Result, error) {
	return lifecycle(ctx, spec, opts, "stop", func(ctx context.Context, e *executor) error {
		if err := e.passwordRefused(ctx, scope, op); err != nil {
			return err
		}
		verb := "stopping (SHUTDOWN SAVE)"
		if !save {
			verb = "stopping (SHUTDOWN NOSAVE: its data goes)"
		}
		stopOne := func(ctx context.Context, tg redisconf.Target) bool {
			addr := resource(tg)
			return e.step(ctx, addr, tg.Host.Name, verb, "stopped", func(ctx context.Context) error {
				if err := e.stopNode(ctx, tg, save); err != nil {
					return err
				}
				if t, err := e.conn(ctx, tg.Host.Name); err == nil {
					e.markHost(ctx, t, tg.Host, tg.Name)
				}
				return nil
			})
		}
		if op == "stop" {
			// The nodes this stop takes down, recorded first (on status
			// nodes it may stop too, which keep it on disk).
			var (
				mu sync.Mutex
				up []string
			)
			e.parallel(slices.Sorted(maps.Keys(e.targets)), func(name string) {
				if tg := e.targets[name]; scope.has(tg.Host.Name) {
					if _, ok := e.running(ctx, tg); ok {
						mu.Lock()
						up = append(up, name)
						mu.Unlock()
					}
				}
			})
			rec := stopRecord(scope)
			e.stopRec = &rec
			e.markStopped(ctx, rec, up)
		}
		if len(scope.Hosts) == 0 {
			// The whole cluster stops: romad first, so that it fails
			// nothing over meanwhile.
			e.romadService(ctx, scope, false)
		}
		e.phase("Stopping data nodes (replicas first)")
		var parts []string
		for p := 0; p < spec.Partitions; p++ {
			parts = append(parts, strconv.Itoa(p))
		}
		e.parallel(parts, func(ps string) {
			p, _ := strconv.Atoi(ps)
			var masters, replicas []redisconf.Target
			var outside []redisconf.Target // running nodes that stay up
			for _, n := range spec.PartitionNodes(p) {
				tg := e.targets[n.Name]
				st, up := e.running(ctx, tg)
				switch {
				case !up:
					if scope.has(tg.Host.Name) {
						e.silent(ctx, tg, "stop")
					}
				case !scope.has(tg.Host.Name):
					outside = append(outside, tg)
				case st["role"] == "master":
					masters = append(masters, tg)
				default:
					replicas = append(replicas, tg)
				}
			}
			for _, tg := range replicas {
				stopOne(ctx, tg)
			}
			for _, m := range masters {
				// Hand over to an in-sync replica that stays up.
				for _, o := range outside {
					if st, ok := e.running(ctx, o); ok && st.Replica() && st.LinkUp() && st.MasterAddr() == e.addr(m) {
						o := o
						if !e.step(ctx, "node."+m.Name, m.Host.Name, "handing over to "+o.Name+" (FAILOVER)", o.Name+" is master", func(ctx context.Context) error {
							return e.failover(ctx, m, o)
						}) {
							return
						}
						break
					}
				}
				stopOne(ctx, m)
			}
		})
		e.phase("Stopping status nodes")
		for _, s := range spec.Status {
			tg := e.targets[s.Name]
			if !scope.has(tg.Host.Name) {
				continue
			}
			if _, up := e.running(ctx, tg); up {
				stopOne(ctx, tg)
			} else {
				e.silent(ctx, tg, "stop")
			}
		}
		if len(scope.Hosts) > 0 {
			e.romadService(ctx, scope, false)
		}
		return nil
	})
}

// hung says whether tg, a node that does not answer, runs all the same
// (paused, or stuck on a disk), and its process ("pid 4242") if so. A
// node whose process is gone, or whose host cannot be asked, is not.
func (e *executor) hung(ctx context.Context, tg redisconf.Target) (string, bool) {
	// A connection refused is a node that is not there, the common case
	// (stopped, crashed): no need to ask its host. A paused process
	// still has its socket, whose connections the kernel accepts.
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	conn, err := (&net.Dialer{}).DialContext(dctx, "tcp", e.addr(tg))
	cancel()
	if err != nil && errors.Is(err, syscall.ECONNREFUSED) {
		return "", false
	}
	if conn != nil {
		conn.Close()
	}
	t, err := e.conn(ctx, tg.Host.Name)
	if err != nil {
		return "", false
	}
	mgr, err := service.For(tg.Host.Service)
	if err != nil {
		return "", false
	}
	st, err := mgr.Status(ctx, t, e.unit(tg.Name, tg.Host))
	if err != nil || !st.Running {
		return "", false
	}
	if st.Pid > 0 {
		return "pid " + strconv.Itoa(st.Pid), true
	}
	return st.Detail, true
}

// silent fails op (start or stop) for tg, a node that does not answer,
// when it is hung, and says whether it did: stop can neither save its
// data nor stop it, start can neither start it (it runs) nor wait for
// it, and neither must report success, or take the node for stopped.
func (e *executor) silent(ctx context.Context, tg redisconf.Target, op string) bool {
	proc, hung := e.hung(ctx, tg)
	if !hung {
		return false
	}
	addr := resource(tg)
	cannot := "roma can neither save its data nor stop it"
	if op == "start" {
		cannot = "roma can neither start it (it runs) nor use it"
	}
	e.fail(addr, tg.Host.Name, fmt.Errorf("%s at %s does not answer, though its process runs (%s): %s; "+
		"find out why (a paused process, a stalled disk), then run roma %s again, or stop it by hand", tg.Name, e.addr(tg), proc, cannot, op), 0)
	return true
}

// stopNode saves and stops a node: SHUTDOWN SAVE (a master first waits
// for its replicas to catch up; a node writing its first append-only file
// is asked again until it is done), or SHUTDOWN NOSAVE without save; then
// the service manager makes sure the process is gone and its pidfile
// removed.
func (e *executor) stopNode(ctx context.Context, tg redisconf.Target, save bool) error {
	shutdown := e.shutdownSave
	if !save {
		shutdown = e.shutdownNoSave
	}
	if err := shutdown(ctx, tg); err != nil {
		return err
	}
	t, err := e.conn(ctx, tg.Host.Name)
	if err != nil {
		return err
	}
	mgr, err := service.For(tg.Host.Service)
	if err != nil {
		return err
	}
	return mgr.Stop(ctx, t, e.unit(tg.Name, tg.Host))
}

// Destroy stops everything roma.hcl declares and removes roma's files for
// it: conf files, pidfiles, service units. Data directories stay unless
// purge is set; then the nodes stop without saving.
func Destroy(ctx context.Context, spec *cluster.Spec, purge bool, opts Options) (*Result, error) {
	res, err := stop(ctx, spec, Scope{}, opts, !purge, "destroy")
	if err != nil {
		return res, err
	}
	return lifecycle(ctx, spec, opts, "destroy", func(ctx context.Context, e *executor) error {
		e.phase("Removing roma's files")
		var names []string
		for n := range e.targets {
			names = append(names, n)
		}
		sort.Strings(names)
		var jobs []job
		for _, n := range names {
			tg := e.targets[n]
			addr := resource(tg)
			l := cluster.LayoutOf(tg.Host)
			msg := "removed (data kept in " + l.Data(n) + ")"
			if purge {
				msg = "removed with its data"
			}
			jobs = append(jobs, job{address: addr, host: tg.Host.Name, verb: "removing", doneMsg: msg,
				run: func(ctx context.Context, t remote.Transport) error {
					mgr, err := service.For(tg.Host.Service)
					if err != nil {
						return err
					}
					if _, err := mgr.Uninstall(ctx, t, e.unit(n, tg.Host)); err != nil {
						return err
					}
					for _, f := range []string{l.Conf(n), l.Pid(n), stoppedFile(tg.Host, n)} {
						if err := t.Remove(ctx, f); err != nil && !isNotExist(err) {
							return err
						}
					}
					if purge {
						res, err := t.Run(ctx, "rm -rf -- "+remote.ShellQuote(l.Data(n)))
						if err != nil {
							return err
						}
						if res.ExitCode != 0 {
							return fmt.Errorf("removing %s: %s", l.Data(n), strings.TrimSpace(string(res.Stderr)))
						}
					}
					return nil
				}})
		}
		for _, h := range e.romadHosts(Scope{}) {
			jobs = append(jobs, job{address: "romad." + h.Name, host: h.Name, verb: "removing romad", doneMsg: "romad removed",
				run: func(ctx context.Context, t remote.Transport) error { return e.removeRomad(ctx, t, h) }})
		}
		e.runJobs(ctx, jobs)
		e.mu.Lock()
		for _, j := range jobs {
			if !e.failed[j.address] {
				e.res.Destroyed++
				e.res.Done = append(e.res.Done, j.address)
			}
		}
		e.mu.Unlock()
		return nil
	})
}
