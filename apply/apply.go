package apply

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
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
	"github.com/roma-redis/roma/status"
)

// Options change how a plan is applied.
type Options struct {
	Dial        plan.Dialer
	Parallelism int           // hosts worked on at once; default 16
	Report      Reporter      // progress; nil discards it
	LockTimeout time.Duration // how long to wait for another holder of the lock
	LockTTL     time.Duration // default DefaultLockTTL
	Operation   string        // recorded in the lock; default "apply"
	// ReadyTimeout bounds how long a node may make no progress: in
	// answering and loading its dataset at start, in a replica's sync
	// (the master saving the dataset, the replica reading and loading
	// it, then catching up), and in a save before a stop. Work that
	// moves on is waited for however long it takes; default
	// DefaultReadyTimeout.
	ReadyTimeout time.Duration
}

// DefaultReadyTimeout is Options.ReadyTimeout's default.
const DefaultReadyTimeout = 60 * time.Second

// Failure is one action that failed.
type Failure struct {
	Address string
	Host    string
	Err     error
}

// String is the failure on one line: the resource, its host when it has
// one, and the error, without the host's name twice when the error
// begins with it already.
func (f Failure) String() string {
	msg := fmt.Sprint(f.Err)
	if f.Host == "" {
		return f.Address + ": " + msg
	}
	return f.Address + " on " + f.Host + ": " + strings.TrimPrefix(msg, f.Host+": ")
}

// Result says what an apply did.
type Result struct {
	Done      []string  // addresses whose actions all succeeded
	Failed    []Failure // in the order they failed
	Skipped   []string  // not attempted: an earlier step they need failed, or interrupted
	Added     int
	Changed   int
	Destroyed int
	// Remaining is the plan made after applying, when it still has
	// changes (nil when the cluster converged).
	Remaining *plan.Plan
	// Interrupted is why apply stopped early (SIGINT, a lost lock).
	Interrupted error
	Elapsed     time.Duration
	// Unchanged: apply stopped before it changed anything (a conf file
	// the hosts' redis-server refuses).
	Unchanged bool
}

// Error summarises a failed apply.
func (r *Result) Error() error {
	if len(r.Failed) == 0 && len(r.Skipped) == 0 && r.Remaining == nil && r.Interrupted == nil {
		return nil
	}
	var b strings.Builder
	if r.Interrupted != nil {
		fmt.Fprintf(&b, "interrupted (%v): stopped before the remaining actions\n", r.Interrupted)
	}
	if len(r.Failed) > 0 {
		fmt.Fprintf(&b, "\n%d actions failed:", len(r.Failed))
		for _, f := range r.Failed {
			fmt.Fprintf(&b, "\n  %s", f)
		}
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(&b, "\nnot attempted: %s", strings.Join(r.Skipped, ", "))
	}
	if r.Remaining != nil && len(r.Failed) == 0 {
		fmt.Fprintf(&b, "the cluster did not converge; still to do:")
		for _, res := range r.Remaining.Resources {
			fmt.Fprintf(&b, "\n  %s: %s (%s)", res.Address, res.Action, strings.Join(res.Reasons, "; "))
		}
	}
	return errors.New(strings.TrimSpace(b.String()))
}

type executor struct {
	spec    *cluster.Spec
	p       *plan.Plan
	opts    Options
	targets map[string]redisconf.Target

	conns  *remote.Pool // one connection per host, dialled once
	mu     sync.Mutex
	failed map[string]bool // addresses with a failed step
	// rollConf: nodes whose new conf file is written just before the
	// restart that rolls them in (writeConfs), by node name.
	rollConf map[string]bool
	res      *Result
	reached  bool // the lock was taken and the phases ran
	// started: the nodes startNodes started, by name (under mu).
	started []string
	// stopRec: roma stop's record of what it stops on purpose (markHost);
	// nil for any other operation.
	stopRec *status.Stopped
}

// Apply executes p against the cluster spec declares. p must have been
// made from spec (the caller checks a loaded plan file for staleness). The
// returned Result is never nil; the error is set when anything failed.
func Apply(ctx context.Context, spec *cluster.Spec, p *plan.Plan, opts Options) (*Result, error) {
	start := time.Now()
	if opts.Parallelism <= 0 {
		opts.Parallelism = 16
	}
	if opts.Report == nil {
		opts.Report = func(Event) {}
	}
	if opts.Operation == "" {
		opts.Operation = "apply"
	}
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = DefaultReadyTimeout
	}
	e := newExecutor(spec, p, opts)
	defer e.closeAll()
	for _, s := range spec.Status {
		e.targets[s.Name] = redisconf.StatusTarget(spec, s)
	}
	for _, n := range spec.Nodes {
		e.targets[n.Name] = redisconf.DataTarget(spec, n)
	}

	e.phase("Connecting and taking the cluster lock")
	lh := LockHost(spec)
	t, err := e.conn(ctx, lh.Name)
	if err != nil {
		return e.done(start), fmt.Errorf("connecting to lock host %s: %w", lh.Name, err)
	}
	lock, err := AcquireLock(ctx, t, lh, opts.Operation, opts.LockTTL, opts.LockTimeout)
	if err != nil {
		return e.done(start), err
	}
	opts.Report(Event{Time: time.Now(), Type: "info", Message: fmt.Sprintf("lock %s taken on %s", lock.Info.ID, lh.Name)})
	defer func() {
		if err := lock.Release(); err != nil {
			opts.Report(Event{Time: time.Now(), Type: "info", Message: "releasing the lock: " + err.Error()})
		}
	}()
	lctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case err := <-lock.Lost():
			cancel(err)
		case <-lctx.Done():
		}
	}()
	ctx = lctx
	e.reached = true

	if !e.checkConfs(ctx) {
		return e.done(start), e.res.Error()
	}
	e.prepareHosts(ctx)
	e.prepareBackup(ctx)
	e.passwordsPhase(ctx)
	e.writeConfs(ctx)
	e.startNodes(ctx, "status")
	e.seedStatusNodes(ctx)
	e.startNodes(ctx, "node")
	e.clearStopped(ctx, e.started) // roma stop's records of them
	e.replicationPhase(ctx)
	e.runtimeSettings(ctx)
	e.rollingRestarts(ctx)
	e.romadPhase(ctx)
	e.deletes(ctx)
	if ctx.Err() != nil {
		e.res.Interrupted = context.Cause(ctx)
		e.skipRest(e.res.Interrupted)
		return e.done(start), e.res.Error()
	}
	e.verify(ctx)
	return e.done(start), e.res.Error()
}

func (e *executor) done(start time.Time) *Result {
	e.res.Elapsed = time.Since(start)
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range e.p.Resources {
		if e.failed[r.Address] || contains(e.res.Skipped, r.Address) || !e.reached {
			continue
		}
		e.res.Done = append(e.res.Done, r.Address)
		switch r.Action {
		case plan.Create:
			e.res.Added++
		case plan.Delete:
			e.res.Destroyed++
		case plan.Replace:
			e.res.Added++
			e.res.Destroyed++
		default:
			e.res.Changed++
		}
	}
	return e.res
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (e *executor) skipRest(cause error) {
	e.opts.Report(Event{Time: time.Now(), Type: "info", Message: "interrupted: " + cause.Error() + "; stopped before the remaining actions"})
}

func (e *executor) phase(msg string) {
	e.opts.Report(Event{Time: time.Now(), Type: "phase", Phase: msg, Message: msg})
}

func (e *executor) conn(ctx context.Context, host string) (remote.Transport, error) {
	return e.conns.Get(ctx, host)
}

// newExecutor is the executor of p on the cluster spec declares.
func newExecutor(spec *cluster.Spec, p *plan.Plan, opts Options) *executor {
	e := &executor{spec: spec, p: p, opts: opts, targets: map[string]redisconf.Target{},
		failed: map[string]bool{}, rollConf: map[string]bool{}, res: &Result{}}
	e.conns = remote.NewPool(func(ctx context.Context, host string) (remote.Transport, error) {
		h, ok := spec.Host(host)
		if !ok {
			return nil, fmt.Errorf("host %s is not in roma.hcl", host)
		}
		return opts.Dial(ctx, h)
	})
	return e
}

func (e *executor) closeAll() { e.conns.Close() }

// job is one resource's work in a phase, run on its host.
type job struct {
	address string
	host    string
	verb    string // "writing conf", "starting", ...
	doneMsg string
	run     func(ctx context.Context, t remote.Transport) error
}

// runJobs runs jobs grouped by host: hosts in parallel up to the bound,
// each host's jobs in order. A job whose address already failed is
// skipped.
func (e *executor) runJobs(ctx context.Context, jobs []job) {
	e.runJobsPerHost(ctx, jobs, 1)
}

// perHost bounds the jobs run at once on one host when their order does
// not matter: OpenSSH's sshd allows 10 sessions per connection.
const perHost = 4

// runJobsPerHost runs jobs grouped by host, hosts in parallel up to the
// bound, and up to n jobs at once on each host (n = 1: in order).
func (e *executor) runJobsPerHost(ctx context.Context, jobs []job, n int) {
	byHost := map[string][]job{}
	var hosts []string
	for _, j := range jobs {
		if _, ok := byHost[j.host]; !ok {
			hosts = append(hosts, j.host)
		}
		byHost[j.host] = append(byHost[j.host], j)
	}
	sort.Strings(hosts)
	_ = remote.ForEach(ctx, hosts, e.opts.Parallelism, func(ctx context.Context, host string) error {
		if n <= 1 {
			for _, j := range byHost[host] {
				e.runJob(ctx, j)
			}
			return nil
		}
		sem := make(chan struct{}, n)
		var wg sync.WaitGroup
		for _, j := range byHost[host] {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				e.runJob(ctx, j)
			}()
		}
		wg.Wait()
		return nil
	})
}

func (e *executor) runJob(ctx context.Context, j job) bool {
	e.mu.Lock()
	skip := e.failed[j.address]
	e.mu.Unlock()
	if skip {
		return false
	}
	if err := ctx.Err(); err != nil {
		e.mu.Lock()
		if !contains(e.res.Skipped, j.address) {
			e.res.Skipped = append(e.res.Skipped, j.address)
		}
		e.mu.Unlock()
		return false
	}
	start := time.Now()
	e.opts.Report(Event{Time: start, Type: "start", Address: j.address, Host: j.host, Message: j.verb + " on " + j.host})
	err := func() error {
		t, err := e.conn(ctx, j.host)
		if err != nil {
			return err
		}
		return j.run(ctx, t)
	}()
	if err == nil && ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	if err != nil {
		e.fail(j.address, j.host, err, time.Since(start))
		return false
	}
	e.opts.Report(Event{Time: time.Now(), Type: "done", Address: j.address, Host: j.host, Message: j.doneMsg + " on " + j.host, Elapsed: time.Since(start)})
	return true
}

func (e *executor) fail(address, host string, err error, elapsed time.Duration) {
	e.mu.Lock()
	e.failed[address] = true
	e.res.Failed = append(e.res.Failed, Failure{Address: address, Host: host, Err: err})
	e.mu.Unlock()
	e.opts.Report(Event{Time: time.Now(), Type: "failed", Address: address, Host: host, Message: err.Error(), Elapsed: elapsed})
}

// skip records address as not attempted, and says why.
func (e *executor) skip(address, host, why string) {
	e.mu.Lock()
	if !contains(e.res.Skipped, address) && !e.failed[address] {
		e.res.Skipped = append(e.res.Skipped, address)
	}
	e.mu.Unlock()
	e.opts.Report(Event{Time: time.Now(), Type: "info", Address: address, Host: host, Message: "not attempted: " + why})
}

func (e *executor) hasFailed(address string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.failed[address]
}

func hasStep(r plan.Resource, op string) bool {
	for _, s := range r.Steps {
		if s.Op == op {
			return true
		}
	}
	return false
}

// prepareHosts creates roma's directories on every host that needs them,
// and on every host where a node is created.
func (e *executor) prepareHosts(ctx context.Context) {
	need := map[string]plan.Resource{}
	for _, r := range e.p.Resources {
		switch {
		case r.Kind == "host":
			need[r.Host] = r
		case (r.Kind == "node" || r.Kind == "status") && (r.Action == plan.Create || r.Action == plan.Replace):
			if _, ok := need[r.Host]; !ok {
				need[r.Host] = plan.Resource{Address: "host." + r.Host, Host: r.Host}
			}
		}
	}
	if len(need) == 0 {
		return
	}
	e.phase("Preparing hosts")
	var jobs []job
	for host := range need {
		h, _ := e.spec.Host(host)
		jobs = append(jobs, job{address: "host." + host, host: host, verb: "creating roma's directories", doneMsg: "directories ready",
			run: func(ctx context.Context, t remote.Transport) error {
				l := cluster.LayoutOf(h)
				for _, d := range l.Dirs() {
					mode := 0o755
					if d == l.EtcDir() {
						mode = 0o700
					}
					if err := t.MkdirAll(ctx, d, fs.FileMode(mode)); err != nil {
						return err
					}
				}
				return nil
			}})
	}
	e.runJobs(ctx, jobs)
}

// prepareBackup creates the backup store's directory (mode 0700: backups
// hold every key) on the backup host; romad there takes the backups.
func (e *executor) prepareBackup(ctx context.Context) {
	for _, r := range e.p.Resources {
		if r.Kind != "backup" || r.Action != plan.Create || e.spec.Backup == nil {
			continue
		}
		dir := e.spec.Backup.Dir
		e.phase("Backup store")
		e.runJobs(ctx, []job{{address: r.Address, host: r.Host, verb: "creating " + dir, doneMsg: "backup store ready",
			run: func(ctx context.Context, t remote.Transport) error { return t.MkdirAll(ctx, dir, 0o700) }}})
	}
}

func (e *executor) nodeResources(kinds ...string) []plan.Resource {
	var out []plan.Resource
	for _, r := range e.p.Resources {
		for _, k := range kinds {
			if r.Kind == k {
				out = append(out, r)
			}
		}
	}
	return out
}

// checkConfs has each host's own redis-server read every conf file the
// plan writes there, or starts or restarts a node with (plan.CheckConf),
// before anything changes. A file it refuses fails its resource, every
// other resource is left undone, and checkConfs returns false: a value
// Redis refuses must not reach a node, where it would stop the node at
// its next start, nor a node be restarted with one left on its host. (roma
// plan checks the same files; this is for a plan file, or a host changed
// since.)
func (e *executor) checkConfs(ctx context.Context) bool {
	var jobs []job
	for _, r := range e.nodeResources("status", "node") {
		if !plan.ChecksConf(r) {
			continue
		}
		tg, ok := e.targets[r.Name]
		if !ok {
			e.fail(r.Address, r.Host, fmt.Errorf("%s is not in roma.hcl: the plan was made from another configuration", r.Address), 0)
			continue
		}
		jobs = append(jobs, job{address: r.Address, host: tg.Host.Name, verb: "checking the conf file of " + tg.Name, doneMsg: "redis-server accepts it",
			run: func(ctx context.Context, t remote.Transport) error { return plan.CheckConf(ctx, t, e.spec, tg) }})
	}
	if len(jobs) > 0 {
		e.phase("Checking conf files")
		e.runJobsPerHost(ctx, jobs, perHost)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.failed) == 0 {
		return true
	}
	for _, r := range e.p.Resources {
		if !e.failed[r.Address] && !contains(e.res.Skipped, r.Address) {
			e.res.Skipped = append(e.res.Skipped, r.Address)
		}
	}
	e.res.Unchanged = true
	return false
}

// writeConfs pushes every conf file that changes, atomically, mode 0600;
// except that a running node that the plan restarts (rolls) gets its file
// just before its restart (writeRollConf). Until then its file keeps what
// the node runs with: should the apply stop before the node's turn (a
// replica of its partition failed to come back, say), the next plan still
// shows the change the restart was to bring in, as a change of the file.
// A directive Redis reads only from the file (user, loadmodule,
// rename-command) would otherwise be in the file and not in the node, and
// no plan could tell.
func (e *executor) writeConfs(ctx context.Context) {
	var jobs []job
	for _, r := range e.nodeResources("status", "node") {
		if r.Action == plan.Delete || !(r.Action == plan.Create || r.Action == plan.Replace || hasStep(r, "write-conf")) {
			continue
		}
		tg := e.targets[r.Name] // checkConfs stopped apply if roma.hcl lacks it
		if e.hasFailed("host." + tg.Host.Name) {
			continue
		}
		if r.Action == plan.Restart && !hasStep(r, "start") {
			e.mu.Lock()
			e.rollConf[tg.Name] = true
			e.mu.Unlock()
			continue
		}
		jobs = append(jobs, job{address: r.Address, host: tg.Host.Name, verb: "writing " + cluster.LayoutOf(tg.Host).Conf(tg.Name), doneMsg: "conf file written",
			run: func(ctx context.Context, t remote.Transport) error { return e.writeConf(ctx, t, tg) }})
	}
	if len(jobs) > 0 {
		e.phase("Writing conf files")
		e.runJobs(ctx, jobs)
	}
}

// writeConf writes tg's conf file, atomically, mode 0600.
func (e *executor) writeConf(ctx context.Context, t remote.Transport, tg redisconf.Target) error {
	l := cluster.LayoutOf(tg.Host)
	if err := t.MkdirAll(ctx, l.Data(tg.Name), 0o750); err != nil {
		return err
	}
	return t.WriteFile(ctx, l.Conf(tg.Name), redisconf.Render(e.spec, tg), 0o600)
}

// writeRollConf writes tg's conf file if writeConfs left it for the
// restart that rolls tg in, which is about to happen.
func (e *executor) writeRollConf(ctx context.Context, t remote.Transport, tg redisconf.Target) error {
	e.mu.Lock()
	pending := e.rollConf[tg.Name]
	e.mu.Unlock()
	if !pending {
		return nil
	}
	if err := e.writeConf(ctx, t, tg); err != nil {
		return fmt.Errorf("writing the conf file of %s: %w", tg.Name, err)
	}
	e.mu.Lock()
	delete(e.rollConf, tg.Name)
	e.mu.Unlock()
	return nil
}

func (e *executor) unit(name string, h cluster.Host) service.Unit {
	return service.RedisUnit(e.spec.Name, cluster.LayoutOf(h), name)
}

// replicaUnit is the unit of a node that must come up as a replica of
// master: started with --replicaof, it never serves writes of its own
// (a node started plainly comes up a writable master until told
// otherwise). The conf file stays free of replicaof.
func (e *executor) replicaUnit(name string, h cluster.Host, master *redisconf.Target) service.Unit {
	u := e.unit(name, h)
	// Under systemd the argument would end up in the unit file for good;
	// there the node is pointed at its master right after it starts.
	if master != nil && h.Service != cluster.ServiceSystemd {
		u.Argv = append(u.Argv, "--replicaof", master.Host.Address, strconv.Itoa(master.Port))
	}
	return u
}

// followTarget returns the master a node is to follow after it starts,
// from its partition's replication steps, or nil. A partition whose
// master apply picks (Step.Pick) has none yet: its master is picked once
// its nodes run with their own data (pickMaster), and a node started as
// the replica of another that came up first would drop its own, maybe the
// newest.
func (e *executor) followTarget(ctx context.Context, node string) *redisconf.Target {
	for _, r := range e.p.Resources {
		if r.Kind != "partition" || slices.ContainsFunc(r.Steps, func(s plan.Step) bool { return s.Pick }) {
			continue
		}
		for _, s := range r.Steps {
			if (s.Op == "replicaof" || s.Op == "demote") && s.Node == node {
				if m, ok := e.targets[s.Target]; ok {
					// Only a master that is running now: a fresh
					// partition's master starts in this same phase.
					if st, err := e.replication(ctx, m); err == nil && st["role"] == "master" {
						return &m
					}
				}
			}
		}
	}
	return nil
}

// startNodes starts the nodes of one kind that are new or stopped, and
// waits until each answers PING with its dataset loaded.
func (e *executor) startNodes(ctx context.Context, kind string) {
	var jobs []job
	for _, r := range e.nodeResources(kind) {
		if r.Action == plan.Delete {
			continue
		}
		restart := hasStep(r, "restart") && r.Action == plan.Repair
		if !(r.Action == plan.Create || r.Action == plan.Replace || hasStep(r, "start") || restart) {
			continue
		}
		tg, ok := e.targets[r.Name]
		if !ok {
			continue
		}
		jobs = append(jobs, job{address: r.Address, host: tg.Host.Name, verb: "starting", doneMsg: "started",
			run: func(ctx context.Context, t remote.Transport) error {
				master := e.followTarget(ctx, tg.Name)
				if restart && tg.Kind == redisconf.KindData {
					if err := e.stopUnsaving(ctx, tg, master); err != nil {
						return err
					}
				}
				err := e.startKeepingData(ctx, t, tg, redisconf.Render(e.spec, tg), false, func(ctx context.Context) error {
					if err := runService(ctx, t, tg.Host, e.replicaUnit(tg.Name, tg.Host, master), restart); err != nil {
						return err
					}
					return e.waitReady(ctx, tg)
				})
				if err == nil {
					e.mu.Lock()
					e.started = append(e.started, tg.Name)
					e.mu.Unlock()
				}
				return damagedHint(err, tg, master)
			}})
	}
	if len(jobs) > 0 {
		if kind == "status" {
			e.phase("Starting status nodes")
		} else {
			e.phase("Starting data nodes")
		}
		// Nodes of one host start side by side: each waits for its own
		// readiness, and none depends on another.
		e.runJobsPerHost(ctx, jobs, perHost)
	}
}

// runService installs u with the host's service manager and starts it, or
// restarts it when restart is set.
func runService(ctx context.Context, t remote.Transport, h cluster.Host, u service.Unit, restart bool) error {
	mgr, err := service.For(h.Service)
	if err != nil {
		return err
	}
	if _, err := mgr.Install(ctx, t, u); err != nil {
		return err
	}
	if restart {
		return mgr.Restart(ctx, t, u)
	}
	return mgr.Start(ctx, t, u)
}
