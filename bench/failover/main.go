// Command failover is the failover benchmark of `make bench`: how long a
// client is without a master when the master is killed, with romad and
// with Redis Sentinel (from Debian) side by side on the same lab hosts and
// the same down-after.
//
// Each side runs on the same three lab hosts: a redis-server on each (one
// master, two replicas) and a monitor on each (romad, or redis-sentinel
// bound to the host's address, quorum 2). romad's cluster is applied with
// roma's own apply and has a status node on each host as well.
//
// A trial waits until its side is at rest (one master; both replicas
// linked and caught up; romad's status OK; every sentinel agreeing, with no
// failover in progress), starts a writer, kills the master's redis-server
// with SIGKILL, and measures the time from the kill to the first write
// acknowledged by another node. The writer is the same for both sides: one
// connection, sequential SETs of new keys as fast as they are acknowledged,
// 300 ms timeouts, and after a failure it asks its side where the master
// is and retries 20 ms later. romad's writer reads the status from a
// majority of status nodes, as roma's clients do; Sentinel's follows
// Redis's client guidelines (ask the sentinels in turn with SENTINEL
// get-master-addr-by-name). Both also subscribe to their side's
// notifications (the status channel; +switch-master on every sentinel).
//
// Once a write went to a new master, the writer runs 0.5 s more and stops;
// the trial checks that the side itself names that node master, counts the
// acknowledged keys missing on it (writes lost), and brings the old master
// back: `roma start` for romad (it returns as a replica), and a plain
// restart from its redis.conf for Sentinel (it returns as a master with its
// old data, and the sentinels turn it into a replica). The two sides take
// turns, trial after trial.
//
// Then come the quick restarts (-restarts, 5 by default): the master is
// killed and started again at once from its redis.conf (a plain
// redis-server, as a tool, an operator or a quick reboot would), within
// down-after, under the same writer; once down-after and a full sync's
// wait (3 s, as roma renders it for both sides) have passed, the trial
// counts the acknowledged writes missing on the master the side names.
// The restarted master has only what it last saved: Sentinel keeps it as
// master and its replicas resync from it; romad promotes a replica that
// holds more first, and loses the writes the restarted master took before
// the clients moved (as a failover loses those in flight).
//
// It measures and reports; it never fails on time. A trial that does not
// fail over within down-after + 30 s is reported as failed, not dropped.
//
// Run it from the repository root, as root (it starts a lab):
//
//	go run ./bench/failover [-trials 20] [-restarts 5] [-down-after 2s] [-failover-timeout 10s] [-only romad|sentinel]
//
// It installs redis-sentinel from Debian when it is missing. Everything
// listens on the lab's loopback addresses, and everything it started is
// gone at the end (the lab kills what runs in its hosts).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/lab"
)

// password is the password of every node of both sides. Output is
// scrubbed of it.
const password = "bench-Secret-Pa55word"

// clusterName is the romad side's cluster.
const clusterName = "failbench"

type options struct {
	trials           int
	restarts         int
	downAfter        time.Duration
	failoverTimeout  time.Duration
	timeout          time.Duration
	romadPort        int
	sentinelNodePort int
	sentinelPort     int
	httpPort         int
	only             string
	logs             string
}

func main() {
	var o options
	flag.IntVar(&o.trials, "trials", 20, "failovers measured on each side")
	flag.IntVar(&o.restarts, "restarts", 5, "quick restarts (kill -9, then the master started again at once) measured on each side, after the failovers")
	flag.DurationVar(&o.downAfter, "down-after", 2*time.Second, "romad's down_after and Sentinel's down-after-milliseconds")
	flag.DurationVar(&o.failoverTimeout, "failover-timeout", 10*time.Second, "Sentinel's failover-timeout")
	flag.DurationVar(&o.timeout, "timeout", 0, "a trial with no failover this long after the kill fails (default down-after + 30s)")
	flag.IntVar(&o.romadPort, "romad-port", 7000, "romad side: data nodes' port (status nodes: +100)")
	flag.IntVar(&o.sentinelNodePort, "sentinel-node-port", 7200, "Sentinel side: data nodes' port")
	flag.IntVar(&o.sentinelPort, "sentinel-port", 26379, "Sentinel side: the sentinels' port")
	flag.IntVar(&o.httpPort, "http-port", 9640, "romad's http_port")
	flag.StringVar(&o.only, "only", "", `run one side only: "romad" or "sentinel"`)
	flag.StringVar(&o.logs, "logs", "", "copy romad's and the sentinels' logs here at the end (default: only when a trial failed, to a new directory)")
	flag.Parse()
	if o.trials < 1 || o.restarts < 0 || o.downAfter <= 0 || (o.only != "" && o.only != "romad" && o.only != "sentinel") {
		fmt.Fprintln(os.Stderr, "failover: need -trials ≥ 1, -down-after > 0, and -only empty, romad or sentinel")
		os.Exit(2)
	}
	if o.timeout == 0 {
		o.timeout = o.downAfter + 30*time.Second
	}
	redis.SetLogger(quietLogger{})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "failover:", scrub(err.Error()))
		os.Exit(1)
	}
}

// system is one side of the benchmark.
type system interface {
	Name() string
	// Steady waits until the side is at rest and returns its master.
	Steady(ctx context.Context, timeout time.Duration) (string, error)
	// Locator is a new client's way of finding the master.
	Locator() locator
	// Master is the master as the side itself names it now ("" when
	// it names none).
	Master(ctx context.Context) string
	// Restore brings the killed node at addr back.
	Restore(ctx context.Context, addr string) error
	// Restart starts the killed node at addr again from its conf
	// file, without the side's tools.
	Restart(ctx context.Context, addr string) error
	node(addr string) string
	Logs() map[string]string // host -> log file, seen from outside
	Close()
}

// trial is one measured failover.
type trial struct {
	n        int
	from, to string
	took     time.Duration
	acked    int
	lost     int
	err      error // the trial failed: no failover, or a check after it
}

// side is one system and its trials.
type side struct {
	sys      system
	trials   []trial
	restarts []restartTrial
	aborted  error // why the remaining trials were not run
}

func run(ctx context.Context, o options) (err error) {
	if os.Geteuid() != 0 {
		return errors.New("the lab needs root")
	}
	if err := lab.EnsurePackages(); err != nil {
		return err
	}
	if o.only != "romad" {
		if err := ensureSentinel(); err != nil {
			return err
		}
	}
	work, err := os.MkdirTemp("", "roma-failover-")
	if err != nil {
		return err
	}
	var sides []*side
	var l *lab.Lab
	failed := false
	defer func() {
		if o.logs != "" || failed {
			dst := o.logs
			if dst == "" {
				dst, _ = os.MkdirTemp("", "roma-failover-logs-")
			}
			for _, s := range sides {
				copyLogs(s.sys.Logs(), dst, s.sys.Name())
			}
			fmt.Printf("logs of romad and the sentinels: %s\n", dst)
		}
		for _, s := range sides {
			s.sys.Close()
		}
		if l != nil {
			if cerr := l.Close(); cerr != nil && err == nil {
				err = cerr
			}
		}
		os.RemoveAll(work)
	}()

	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	l, err = lab.Start(sctx, lab.Options{Hosts: 3, Dir: filepath.Join(work, "lab")})
	cancel()
	if err != nil {
		return err
	}
	if o.only != "sentinel" {
		r, err := setupRomad(ctx, o, l, work)
		if r != nil {
			sides = append(sides, &side{sys: r})
		}
		if err != nil {
			return fmt.Errorf("romad side: %w", err)
		}
	}
	if o.only != "romad" {
		s, err := setupSentinel(ctx, o, l)
		if s != nil {
			sides = append(sides, &side{sys: s})
		}
		if err != nil {
			return fmt.Errorf("sentinel side: %w", err)
		}
	}

	fmt.Printf("== failover: kill -9 of the master → first write acknowledged by the new master\n")
	fmt.Printf("   %d CPUs; redis-server %s, redis-sentinel %s\n", runtime.NumCPU(), version("redis-server"), version("redis-sentinel"))
	fmt.Printf("   each side on the same 3 lab hosts: 1 master + 2 replicas, a monitor on each host; down-after %s\n", o.downAfter)
	fmt.Printf("   romad: 3 status nodes; Sentinel: quorum 2, failover-timeout %s, parallel-syncs 1\n", o.failoverTimeout)
	fmt.Printf("   writer: sequential SETs on one connection, %s timeouts, re-locate and retry %s after a failure\n", opTimeout, retryPause)
	fmt.Printf("   %d trials each, taking turns; a trial without failover within %s fails\n", o.trials, o.timeout)

	if series(ctx, sides, o.trials, func(ctx context.Context, sys system, n int) (trial, error) { return runTrial(ctx, o, sys, n) },
		func(s *side, t trial) error {
			s.trials = append(s.trials, t)
			printTrial(s.sys.Name(), t)
			return t.err
		}) {
		failed = true
	}
	if o.restarts > 0 && ctx.Err() == nil {
		fmt.Printf("== quick restart: kill -9 of the master, started again at once from its redis.conf (within down-after); writes lost\n")
	}
	if series(ctx, sides, o.restarts, func(ctx context.Context, sys system, n int) (restartTrial, error) { return runRestart(ctx, o, sys, n) },
		func(s *side, t restartTrial) error {
			s.restarts = append(s.restarts, t)
			printRestart(s.sys.Name(), t)
			return t.err
		}) {
		failed = true
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	report(os.Stdout, o, sides)
	if o.restarts > 0 {
		reportRestarts(os.Stdout, o, sides)
	}
	return nil
}

// series runs trials 1..count on every side, taking turns, until ctx
// ends: run runs one, keep records and prints it and returns its error.
// A side whose trial says it cannot go on runs no more. It reports
// whether a trial failed.
func series[T any](ctx context.Context, sides []*side, count int,
	run func(ctx context.Context, sys system, n int) (T, error), keep func(s *side, t T) error) (failed bool) {
	for n := 1; n <= count && ctx.Err() == nil; n++ {
		for _, s := range sides {
			if s.aborted != nil || ctx.Err() != nil {
				continue
			}
			t, fatal := run(ctx, s.sys, n)
			if ctx.Err() != nil {
				break
			}
			if keep(s, t) != nil {
				failed = true
			}
			if fatal != nil {
				failed = true
				s.aborted = fatal
				fmt.Printf("   %s: no more trials: %s\n", s.sys.Name(), scrub(fatal.Error()))
			}
		}
	}
	return failed
}

// armed is a side at rest under a writer, about to have its master
// killed.
type armed struct {
	old string // the master's address
	pid int    // its redis-server's
	loc locator
	w   *writer
}

// arm waits until sys is at rest, starts a writer of keys prefixed with
// prefix, and waits until it has written 100: what every trial does
// before the kill. On error, it leaves nothing running.
func arm(ctx context.Context, sys system, prefix string) (armed, error) {
	var a armed
	old, err := sys.Steady(ctx, 2*time.Minute)
	if err != nil {
		return a, fmt.Errorf("before the kill: %w", err)
	}
	pid, err := pidOf(ctx, old, password)
	if err != nil {
		return a, err
	}
	a = armed{old: old, pid: pid, loc: sys.Locator()}
	a.w = startWriter(a.loc, password, prefix)
	sleep(ctx, time.Second)
	for deadline := time.Now().Add(10 * time.Second); a.w.okCount.Load() < 100; {
		if time.Now().After(deadline) || ctx.Err() != nil {
			a.w.halt()
			a.loc.close()
			return a, fmt.Errorf("the writer could not write before the kill: %s", a.w.lastError())
		}
		sleep(ctx, 10*time.Millisecond)
	}
	return a, nil
}

// runTrial runs trial n on sys. fatal says why sys cannot go on (it could
// not reach a steady state, or the old master could not be brought back).
func runTrial(ctx context.Context, o options, sys system, n int) (t trial, fatal error) {
	t.n = n
	prefix := fmt.Sprintf("t%d:", n)
	a, err := arm(ctx, sys, prefix)
	if err != nil {
		t.err = err
		return t, err
	}
	defer a.loc.close()
	old, pid, w := a.old, a.pid, a.w
	t.from = sys.node(old)

	killAt := w.killed(old)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		w.halt()
		t.err = fmt.Errorf("kill -9 %d (%s): %w", pid, t.from, err)
		return t, t.err
	}
	for w.firstOK.Load() == 0 && time.Since(killAt) < o.timeout && ctx.Err() == nil {
		time.Sleep(2 * time.Millisecond)
	}
	resumed := w.firstOK.Load() != 0
	if resumed {
		sleep(ctx, 500*time.Millisecond)
	}
	w.halt()
	t.acked = len(w.acked)
	if !resumed {
		t.err = fmt.Errorf("no write acknowledged by another node within %s of the kill; %s names %q; last error: %s",
			o.timeout, sys.Name(), sys.node(sys.Master(ctx)), w.lastError())
	} else {
		t.took = time.Unix(0, w.firstOK.Load()).Sub(killAt)
		t.to = sys.node(w.firstAddr)
		t.err = checkFailover(ctx, sys, old, w.firstAddr)
		if lost, err := countLost(ctx, w.firstAddr, password, prefix, w.acked); err != nil {
			t.err = errors.Join(t.err, err)
		} else {
			t.lost = lost
		}
		if err := flush(ctx, w.firstAddr, password); err != nil {
			t.err = errors.Join(t.err, err)
		}
	}
	if err := sys.Restore(ctx, old); err != nil {
		return t, fmt.Errorf("bringing %s back: %w", t.from, err)
	}
	return t, nil
}

// checkFailover checks that the node the writer moved to is a master other
// than the killed one, and the one the side itself names.
func checkFailover(ctx context.Context, sys system, old, to string) error {
	if to == old {
		return fmt.Errorf("the writer's first write after the kill went to the killed master %s", sys.node(old))
	}
	var named string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline) && ctx.Err() == nil; {
		if named = sys.Master(ctx); named == to {
			break
		}
		sleep(ctx, 50*time.Millisecond)
	}
	if named != to {
		return fmt.Errorf("the writer moved to %s but %s names %q as master", sys.node(to), sys.Name(), sys.node(named))
	}
	kv, err := info(ctx, to, password, "replication")
	if err != nil {
		return fmt.Errorf("new master %s: %w", sys.node(to), err)
	}
	if kv["role"] != "master" {
		return fmt.Errorf("new master %s is %s", sys.node(to), kv["role"])
	}
	return nil
}

func printTrial(name string, t trial) {
	if t.err != nil && t.to == "" {
		fmt.Printf("   %-15s #%02d  %s: FAILED: %s\n", name, t.n, t.from, scrub(t.err.Error()))
		return
	}
	fmt.Printf("   %-15s #%02d  %s → %s  %8s  acked %6d  lost %d\n", name, t.n, t.from, t.to, fmtDur(t.took), t.acked, t.lost)
	if t.err != nil {
		fmt.Printf("   %-15s #%02d  FAILED check: %s\n", name, t.n, scrub(t.err.Error()))
	}
}

// stats are one side's figures over its successful trials.
type stats struct {
	ok, run               int
	median, p99, max, min time.Duration
	lost, maxLost         int
	acked                 int
}

func statsOf(s *side) stats {
	var st stats
	var ds []time.Duration
	for _, t := range s.trials {
		st.run++
		if t.err != nil {
			continue
		}
		st.ok++
		ds = append(ds, t.took)
		st.lost += t.lost
		st.maxLost = max(st.maxLost, t.lost)
		st.acked += t.acked
	}
	if len(ds) == 0 {
		return st
	}
	slices.Sort(ds)
	st.median = ds[len(ds)/2]
	if len(ds)%2 == 0 {
		st.median = (ds[len(ds)/2-1] + ds[len(ds)/2]) / 2
	}
	st.p99 = percentile(ds, 99)
	st.min, st.max = ds[0], ds[len(ds)-1]
	return st
}

// percentile is the nearest-rank percentile of sorted ds.
func percentile(ds []time.Duration, p int) time.Duration {
	rank := (p*len(ds) + 99) / 100 // ceil(p/100 × n)
	return ds[max(rank, 1)-1]
}

func report(w io.Writer, o options, sides []*side) {
	fmt.Fprintf(w, "-- kill -9 → first write on the new master (successful trials; p99 by nearest rank)\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "tool\ttrials ok\tmedian\tp99\tmax\tmin\tlost writes\tlost per failover\tmax lost\t")
	all := map[string]stats{}
	for _, s := range sides {
		st := statsOf(s)
		all[s.sys.Name()] = st
		per := "-"
		if st.ok > 0 {
			per = fmt.Sprintf("%.2f", float64(st.lost)/float64(st.ok))
		}
		fmt.Fprintf(tw, "%s\t%d/%d\t%s\t%s\t%s\t%s\t%d\t%s\t%d\t\n", s.sys.Name(), st.ok, o.trials,
			fmtDur(st.median), fmtDur(st.p99), fmtDur(st.max), fmtDur(st.min), st.lost, per, st.maxLost)
	}
	tw.Flush()
	for _, s := range sides {
		if s.aborted != nil {
			fmt.Fprintf(w, "   %s stopped after %d trials: %s\n", s.sys.Name(), len(s.trials), scrub(s.aborted.Error()))
		}
	}
	r, hasR := all["romad"]
	sn, hasS := all["redis-sentinel"]
	fmt.Fprintf(w, "-- targets\n")
	if hasR && hasS {
		if r.ok > 0 && sn.ok > 0 {
			target(w, "romad median ≤ Sentinel median", fmt.Sprintf("%s ≤ %s", fmtDur(r.median), fmtDur(sn.median)), r.median <= sn.median)
		} else {
			target(w, "romad median ≤ Sentinel median", "(no successful trial)", false)
		}
	}
	if hasR {
		limit := o.downAfter + time.Second
		if r.ok > 0 {
			target(w, "romad median ≤ down_after + 1s", fmt.Sprintf("%s ≤ %s", fmtDur(r.median), fmtDur(limit)), r.median <= limit)
		} else {
			target(w, "romad median ≤ down_after + 1s", "(no successful trial)", false)
		}
	}
	for _, s := range sides {
		st := all[s.sys.Name()]
		target(w, s.sys.Name()+": every trial failed over", fmt.Sprintf("%d/%d", st.ok, o.trials), st.ok == o.trials)
	}
	if hasR && hasS && r.ok > 0 && sn.ok > 0 {
		fmt.Fprintf(w, "   (information) writes lost per failover: romad %.2f, Sentinel %.2f\n",
			float64(r.lost)/float64(r.ok), float64(sn.lost)/float64(sn.ok))
	}
}

func target(w io.Writer, what, figures string, pass bool) {
	mark := "MISS"
	if pass {
		mark = "PASS"
	}
	fmt.Fprintf(w, "   %-40s %-22s %s\n", what, figures, mark)
}

func fmtDur(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3fs", d.Seconds())
}

// ensureSentinel installs redis-sentinel from Debian when it is missing.
func ensureSentinel() error {
	if _, err := exec.LookPath("redis-sentinel"); err == nil {
		return nil
	}
	fmt.Fprintln(os.Stderr, "failover: installing redis-sentinel (Debian)")
	install := func() error {
		cmd := exec.Command("apt-get", "install", "-y", "--no-install-recommends", "redis-sentinel")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("apt-get install redis-sentinel: %w: %s", err, tail(string(out), 800))
		}
		return nil
	}
	if err := install(); err != nil {
		if out, uerr := exec.Command("apt-get", "update").CombinedOutput(); uerr != nil {
			return fmt.Errorf("apt-get update: %w: %s", uerr, tail(string(out), 800))
		}
		if err := install(); err != nil {
			return err
		}
	}
	_, err := exec.LookPath("redis-sentinel")
	return err
}

// copyLogs copies each host's log file into dst as <name>-<host>.log.
func copyLogs(files map[string]string, dst, name string) {
	os.MkdirAll(dst, 0o755)
	for host, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			os.WriteFile(filepath.Join(dst, fmt.Sprintf("%s-%s.log", name, host)), []byte(scrub(string(b))), 0o644)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func output(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return name + ": " + err.Error()
	}
	return strings.TrimSpace(string(out))
}

// version is the v= field of what a Redis program's --version says.
func version(prog string) string {
	out := output(prog, "--version")
	for _, f := range strings.Fields(out) {
		if v, ok := strings.CutPrefix(f, "v="); ok {
			return v
		}
	}
	return out
}

func tail(s string, n int) string {
	s = scrub(s)
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}

func scrub(s string) string { return strings.ReplaceAll(s, password, "(sensitive)") }

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}
