package restore

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/roma-redis/roma/apply"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/providers/store"
	"github.com/roma-redis/roma/remote"
)

// Options change how Run restores.
type Options struct {
	// Dial reaches hosts (remote.Dial with the command's options).
	Dial store.Dialer
	// LockTimeout is how long to wait for the cluster lock.
	LockTimeout time.Duration
	// ReadyTimeout bounds how long a node may make no progress: in
	// starting and loading its dataset, rewriting its append-only file,
	// or a replica's sync. Work that moves on is waited for however long
	// it takes (default 5 minutes).
	ReadyTimeout time.Duration
	// Report, when set, is told every step, one event at a time.
	Report func(Event)
}

// Event is one step of a restore.
type Event struct {
	Partition int    // -1 for the whole restore
	Node      string // "" for the partition
	Message   string
	Failed    bool
}

// Result is what a restore did.
type Result struct {
	Restored  []int         // partitions holding the backup's data now
	Failed    map[int]error // partitions whose restore failed, and why
	Untouched []int         // partitions no node of which was touched
	Warnings  []string      // restored, but not all is well (a replica that did not start)
	Elapsed   time.Duration
}

// Run carries out plan: under the cluster lock and in maintenance, it
// stages every partition's file on its master's host, and only when all
// are staged restores the partitions in parallel. It returns an error
// when any partition failed; Result says exactly which were restored,
// which failed and which were not touched.
func Run(ctx context.Context, spec *cluster.Spec, st store.Store, plan *Plan, opts Options) (*Result, error) {
	start := time.Now()
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = 5 * time.Minute
	}
	if opts.Dial == nil {
		opts.Dial = func(ctx context.Context, h cluster.Host) (remote.Transport, error) {
			return remote.Dial(ctx, h, remote.DialOptions{})
		}
	}
	r := &runner{spec: spec, st: st, plan: plan, opts: opts, conns: map[string]remote.Transport{},
		res: &Result{Failed: map[int]error{}}}
	report := opts.Report
	if report == nil {
		report = func(Event) {}
	}
	r.report = func(e Event) {
		r.mu.Lock()
		defer r.mu.Unlock()
		report(e)
	}
	defer r.closeAll()
	err := r.run(ctx)
	r.res.Elapsed = time.Since(start)
	sort.Ints(r.res.Restored)
	sort.Ints(r.res.Untouched)
	return r.res, err
}

type runner struct {
	spec   *cluster.Spec
	st     store.Store
	plan   *Plan
	opts   Options
	report func(Event)

	mu    sync.Mutex
	conns map[string]remote.Transport
	res   *Result
}

func (r *runner) run(ctx context.Context) error {
	untouched := func() {
		for _, pp := range r.plan.Partitions {
			r.res.Untouched = append(r.res.Untouched, pp.P)
		}
	}
	lh := apply.LockHost(r.spec)
	t, err := r.conn(ctx, lh.Name)
	if err != nil {
		untouched()
		return fmt.Errorf("connecting to lock host %s: %w", lh.Name, err)
	}
	lock, err := apply.AcquireLock(ctx, t, lh, "restore "+r.plan.Backup.ID, 0, r.opts.LockTimeout)
	if err != nil {
		untouched()
		return err
	}
	defer lock.Release()
	r.report(Event{Partition: -1, Message: fmt.Sprintf("Cluster lock %s taken on %s", lock.Info.ID, lh.Name)})

	var parts []int
	for _, pp := range r.plan.Partitions {
		parts = append(parts, pp.P)
	}
	maint, warn := enterMaintenance(ctx, r.spec, "restore "+r.plan.Backup.ID, parts)
	defer func() {
		maint.leave()
		r.report(Event{Partition: -1, Message: "Maintenance lifted"})
	}()
	if warn != "" {
		r.res.Warnings = append(r.res.Warnings, warn)
	}
	r.report(Event{Partition: -1, Message: "Cluster in maintenance: romad fails nothing over meanwhile"})

	// Stage every file first: a failure here touches no node.
	r.report(Event{Partition: -1, Message: "Staging every partition's RDB on its master's host"})
	errs := make([]error, len(r.plan.Partitions))
	parallel(len(r.plan.Partitions), func(i int) {
		errs[i] = r.stage(ctx, r.plan.Partitions[i])
	})
	if err := errors.Join(errs...); err != nil {
		r.unstage()
		untouched()
		return fmt.Errorf("staging failed, so no node was touched:\n%w", err)
	}

	r.report(Event{Partition: -1, Message: "Restoring every partition"})
	parallel(len(r.plan.Partitions), func(i int) {
		pp := r.plan.Partitions[i]
		touched, err := r.restorePartition(ctx, pp)
		r.mu.Lock()
		defer r.mu.Unlock()
		switch {
		case err == nil:
			r.res.Restored = append(r.res.Restored, pp.P)
		case !touched:
			r.res.Failed[pp.P] = err
			r.res.Untouched = append(r.res.Untouched, pp.P)
		default:
			r.res.Failed[pp.P] = err
		}
	})
	if len(r.res.Failed) > 0 {
		var ps []string
		for p, err := range r.res.Failed {
			ps = append(ps, fmt.Sprintf("partition %d: %v", p, err))
		}
		sort.Strings(ps)
		return fmt.Errorf("%d of %d partitions failed:\n  %s", len(r.res.Failed), len(r.plan.Partitions), strings.Join(ps, "\n  "))
	}
	return nil
}

// conn returns the transport to host name, dialling it once.
func (r *runner) conn(ctx context.Context, name string) (remote.Transport, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t, ok := r.conns[name]; ok {
		return t, nil
	}
	h, ok := r.spec.Host(name)
	if !ok {
		return nil, fmt.Errorf("no host %q in roma.hcl", name)
	}
	t, err := r.opts.Dial(ctx, h)
	if err != nil {
		return nil, err
	}
	r.conns[name] = t
	return t, nil
}

func (r *runner) closeAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.conns {
		t.Close()
	}
}

// parallel runs fn(0..n-1) at once and waits.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(i)
		}()
	}
	wg.Wait()
}
