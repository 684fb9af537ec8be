// Command chaos is the chaos run of `make bench`: a real cluster under
// write load while faults are injected, then a count of the acknowledged
// writes it lost. Its figure has a target of 0.
//
// It builds roma and romad, applies a cluster of 3 partitions × 3 nodes,
// 3 status nodes and 3 romads (down_after 2s) on three local hosts
// (127.0.0.61 to .63, no SSH, under a temporary directory), and starts
// writers that SET new keys through the client package as fast as they
// are acknowledged, each key once. Every -interval it injects one fault,
// chosen at random among -faults:
//
//   - kill:       kill -9 a partition's master; roma start --host brings it back 0-6s later
//   - stop:       SIGSTOP a partition's master for 1-6s (a stalled VM or disk), then SIGCONT
//   - replica:    kill -9 a replica; roma start --host 0-5s later
//   - romad:      kill -9 the alpha romad; roma start --host 0-5s later
//   - statusstop: SIGSTOP a status node for 0.5-3.5s
//   - statuskill: kill -9 a status node; roma start --host 0-5s later
//   - host:       kill -9 everything on one host; roma start --host 2-10s later
//
// At the end it heals the cluster (roma start, roma apply), waits for an
// OK status, and reads back every key it wrote. An acknowledged key that
// is missing is a lost write. A write that failed in a way that says it
// may have run (ErrConnLost, ErrNoReply, ErrDeposed) is counted apart, as
// is how many of those are there after all. It prints the faults, the
// writes, the failures by kind, and the lost writes against the target.
// It measures and reports; it never fails on time.
//
// Run it from the repository root, as root:
//
//	go run ./bench/chaos [-d 2m] [-interval 7s] [-writers 6] [-seed 1] [-faults kill,stop,...] [-keep]
//
// Everything listens on 127.0.0.61-63, ports -port to -port+15; the
// cluster is destroyed at the end unless -keep.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/bench/benchkit"
	"github.com/roma-redis/roma/client"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/hclspec"
	"github.com/roma-redis/roma/status"
)

type options struct {
	dur, interval time.Duration
	writers       int
	seed          uint64
	faults        string
	port          int
	keep          bool
}

var allFaults = []string{"kill", "stop", "replica", "romad", "statusstop", "statuskill", "host"}

func main() {
	var o options
	flag.DurationVar(&o.dur, "d", 2*time.Minute, "how long faults are injected")
	flag.DurationVar(&o.interval, "interval", 7*time.Second, "time between faults")
	flag.IntVar(&o.writers, "writers", 6, "writers, each with one write out at a time")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the faults' random choices")
	flag.StringVar(&o.faults, "faults", strings.Join(allFaults, ","), "the faults to choose among")
	flag.IntVar(&o.port, "port", 7600, "first port used")
	flag.BoolVar(&o.keep, "keep", false, "leave the cluster running at the end")
	flag.Parse()
	redis.SetLogger(quiet{})
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// chaos is one run: the cluster, its roma, and what the faults left to do.
type chaos struct {
	o       options
	dir     string // the configuration
	roma    string
	spec    *cluster.Spec
	rng     *rand.Rand
	pending sync.WaitGroup // restarts and resumes still to come
	counts  map[string]int // faults injected, by kind
	began   time.Time
}

func run(ctx context.Context, o options) (err error) {
	kinds := strings.Split(o.faults, ",")
	for _, k := range kinds {
		if !slices.Contains(allFaults, k) {
			return fmt.Errorf("-faults: no fault %q (%s)", k, strings.Join(allFaults, ", "))
		}
	}
	if err := benchkit.EnsureDebian("chaos", "redis-server", "redis-server"); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "roma-chaos-")
	if err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(work)
	}
	c := &chaos{o: o, dir: filepath.Join(work, "cluster"), rng: rand.New(rand.NewPCG(o.seed, 20)), counts: map[string]int{}}
	if c.roma, err = benchkit.BuildRoma(ctx, "", work); err != nil {
		return err
	}
	if b, err := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(work, "romad-linux-amd64"), "./cmd/romad").CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/romad: %w: %s", err, b)
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(c.dir, "roma.hcl"), []byte(config(work, o.port)), 0o644); err != nil {
		return err
	}
	cfg, diags := hclspec.Load(c.dir, hclspec.Options{})
	if diags.HasErrors() {
		return diags
	}
	c.spec = cfg.Spec
	fmt.Printf("roma chaos run: %s of faults (%s), one every %s, %d writers, seed %d; load average %s\n",
		o.dur, o.faults, o.interval, o.writers, o.seed, benchkit.LoadAverage())
	if out, err := c.romaCmd(ctx, "apply", "-auto-approve"); err != nil {
		return fmt.Errorf("roma apply: %w\n%s", err, out)
	}
	if !o.keep {
		defer func() {
			if out, derr := c.romaCmd(context.Background(), "destroy", "-auto-approve", "-purge-data", "-lock-timeout", "2m"); derr != nil {
				err = errors.Join(err, fmt.Errorf("roma destroy: %w\n%s", derr, out))
			}
		}()
	}
	cl, err := client.NewFromSpec(ctx, c.spec, client.Options{})
	if err != nil {
		return err
	}
	defer cl.Close()
	if err := waitOK(ctx, cl, time.Minute); err != nil {
		return err
	}

	wctx, stop := context.WithCancel(ctx)
	defer stop()
	res := make([]writes, o.writers)
	var wg sync.WaitGroup
	for w := range o.writers {
		wg.Go(func() { res[w] = write(wctx, cl, w) })
	}
	start := time.Now()
	c.began = start
	for time.Since(start) < o.dur {
		time.Sleep(o.interval)
		st, err := cl.Status()
		if st == nil {
			c.note("no status: %v", err)
			continue
		}
		c.inject(ctx, st, kinds[c.rng.IntN(len(kinds))])
	}
	time.Sleep(3 * time.Second)
	stop()
	wg.Wait()
	took := time.Since(start)
	c.pending.Wait()

	// Heal: every node started, the cluster as roma.hcl says, status OK.
	for _, args := range [][]string{{"start", "-lock-timeout", "2m"}, {"apply", "-auto-approve", "-lock-timeout", "2m"}} {
		if out, err := c.romaCmd(ctx, args...); err != nil {
			return fmt.Errorf("healing: roma %s: %w\n%s", args[0], err, out)
		}
	}
	if err := waitOK(ctx, cl, 2*time.Minute); err != nil {
		return fmt.Errorf("healing: %w", err)
	}
	return c.report(ctx, cl, res, took)
}

// config is the cluster's roma.hcl: 3 partitions × 3 nodes on 3 local
// hosts, a status node and a romad on each.
func config(work string, port int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "variable \"pw\" {\n  sensitive = true\n  default   = \"chaos-bench-password\"\n}\n\n")
	fmt.Fprintf(&b, "cluster \"chaos\" {\n  partitions = 3\n  password   = var.pw\n  redis {\n    maxmemory        = \"256mb\"\n    maxmemory-policy = \"noeviction\"\n    appendonly       = true\n  }\n}\n\n")
	for h := 1; h <= 3; h++ {
		fmt.Fprintf(&b, "host \"h%d\" {\n  address   = \"127.0.0.6%d\"\n  transport = \"local\"\n  root      = %q\n  service   = \"process\"\n}\n\n", h, h, filepath.Join(work, "h"+strconv.Itoa(h)))
	}
	for p := range 3 {
		for r, name := range []string{"a", "b", "c"} {
			fmt.Fprintf(&b, "node \"%s%d\" {\n  host      = \"h%d\"\n  port      = %d\n  partition = %d\n}\n\n", name, p, (p+r)%3+1, port+p, p)
		}
	}
	for h := 1; h <= 3; h++ {
		fmt.Fprintf(&b, "status \"s%d\" {\n  host = \"h%d\"\n  port = %d\n}\n\n", h, h, port+10)
	}
	fmt.Fprintf(&b, "romad {\n  hosts      = [\"h1\", \"h2\", \"h3\"]\n  down_after = \"2s\"\n  http_port  = %d\n}\n", port+15)
	return b.String()
}

func (c *chaos) romaCmd(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.roma, append(args[:1:1], append([]string{"-c", c.dir}, args[1:]...)...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func waitOK(ctx context.Context, cl *client.Client, d time.Duration) error {
	var st *status.Status
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		_ = cl.Refresh(ctx)
		if st, _ = cl.Status(); st != nil && st.State == status.OK {
			return nil
		}
	}
	state := "none"
	if st != nil {
		state = st.State
	}
	return fmt.Errorf("the cluster's status is %s, not OK, after %s", state, d)
}

// writes is one writer's outcome: the keys (by index) acknowledged, those
// whose write may have run, and the failures by kind.
type writes struct {
	acked, maybe []int
	failed       map[string]int
}

func key(w, i int) string { return fmt.Sprintf("chaos:w%d:%d", w, i) }

func write(ctx context.Context, cl *client.Client, w int) writes {
	r := writes{failed: map[string]int{}}
	for i := 0; ctx.Err() == nil; i++ {
		cctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := cl.Set(cctx, key(w, i), i, 0).Err()
		cancel()
		switch {
		case err == nil:
			r.acked = append(r.acked, i)
		case errors.Is(err, client.ErrConnLost) || errors.Is(err, client.ErrNoReply) || errors.Is(err, client.ErrDeposed):
			r.maybe = append(r.maybe, i)
			r.failed[kind(err)]++
		default:
			r.failed[kind(err)]++
		}
		time.Sleep(time.Millisecond)
	}
	return r
}

// kind names an error by the client's sentinel it is.
func kind(err error) string {
	for _, e := range []error{client.ErrDeposed, client.ErrConnLost, client.ErrNoReply, client.ErrNoFailover, client.ErrHalt, client.ErrUnreachable} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return "other: " + err.Error()
}

func (c *chaos) note(format string, a ...any) {
	fmt.Printf("  %6.1fs  %s\n", time.Since(c.began).Seconds(), fmt.Sprintf(format, a...))
}

func (c *chaos) pid(host, name string) int {
	h, _ := c.spec.Host(host)
	b, err := os.ReadFile(cluster.LayoutOf(h).Pid(name))
	if err != nil {
		return 0
	}
	p, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return p
}

// kill sends sig to name's process on host, as read from its pidfile.
func (c *chaos) kill(host, name string, sig syscall.Signal) int {
	pid := c.pid(host, name)
	if pid > 0 {
		_ = syscall.Kill(pid, sig)
	}
	return pid
}

// later runs f after a random wait of lo to lo+span.
func (c *chaos) later(lo, span time.Duration, f func(waited time.Duration)) {
	d := lo + time.Duration(c.rng.Int64N(int64(span)))
	c.pending.Go(func() {
		time.Sleep(d)
		f(d)
	})
}

// startHost runs roma start --host h.
func (c *chaos) startHost(ctx context.Context, h string) func(time.Duration) {
	return func(waited time.Duration) {
		out, err := c.romaCmd(ctx, "start", "--host", h, "-lock-timeout", "2m")
		if err != nil {
			c.note("roma start --host %s (after %s): %v: %s", h, waited.Round(time.Millisecond), err, benchkit.Tail(out, 300))
			return
		}
		c.note("roma start --host %s (after %s): done", h, waited.Round(time.Millisecond))
	}
}

func (c *chaos) inject(ctx context.Context, st *status.Status, k string) {
	c.counts[k]++ // inject runs on the main goroutine only
	p := c.rng.IntN(len(st.Partitions))
	m := st.Partitions[p].Master
	hostOf := func(name string) string {
		if n, ok := c.spec.Node(name); ok {
			return n.Host
		}
		return ""
	}
	switch k {
	case "kill", "stop":
		if m == "" {
			c.note("%s: partition %d has no master", k, p)
			return
		}
		h := hostOf(m)
		if k == "kill" {
			c.note("kill -9 %s, master of partition %d (pid %d)", m, p, c.kill(h, m, syscall.SIGKILL))
			c.later(0, 6*time.Second, c.startHost(ctx, h))
			return
		}
		pid := c.pid(h, m)
		d := time.Second + time.Duration(c.rng.Int64N(int64(5*time.Second)))
		c.note("SIGSTOP %s, master of partition %d, for %s", m, p, d.Round(time.Millisecond))
		_ = syscall.Kill(pid, syscall.SIGSTOP)
		c.pending.Go(func() { time.Sleep(d); _ = syscall.Kill(pid, syscall.SIGCONT) })
	case "replica":
		rs := st.Partitions[p].Replicas
		if len(rs) == 0 {
			c.note("replica: partition %d has none", p)
			return
		}
		r := rs[c.rng.IntN(len(rs))]
		c.note("kill -9 %s, replica of partition %d", r, p)
		c.kill(hostOf(r), r, syscall.SIGKILL)
		c.later(0, 5*time.Second, c.startHost(ctx, hostOf(r)))
	case "romad":
		c.note("kill -9 the alpha romad, on %s", st.Alpha)
		c.kill(st.Alpha, "romad", syscall.SIGKILL)
		c.later(0, 5*time.Second, c.startHost(ctx, st.Alpha))
	case "statusstop", "statuskill":
		s := c.spec.Status[c.rng.IntN(len(c.spec.Status))]
		if k == "statuskill" {
			c.note("kill -9 status node %s", s.Name)
			c.kill(s.Host, s.Name, syscall.SIGKILL)
			c.later(0, 5*time.Second, c.startHost(ctx, s.Host))
			return
		}
		pid := c.pid(s.Host, s.Name)
		d := 500*time.Millisecond + time.Duration(c.rng.Int64N(int64(3*time.Second)))
		c.note("SIGSTOP status node %s for %s", s.Name, d.Round(time.Millisecond))
		_ = syscall.Kill(pid, syscall.SIGSTOP)
		c.pending.Go(func() { time.Sleep(d); _ = syscall.Kill(pid, syscall.SIGCONT) })
	case "host":
		h := c.spec.Hosts[c.rng.IntN(len(c.spec.Hosts))].Name
		var names []string
		for _, n := range c.spec.Nodes {
			if n.Host == h {
				names = append(names, n.Name)
			}
		}
		for _, s := range c.spec.Status {
			if s.Host == h {
				names = append(names, s.Name)
			}
		}
		for _, n := range append(names, "romad") {
			c.kill(h, n, syscall.SIGKILL)
		}
		c.note("host %s down: kill -9 %s and romad", h, strings.Join(names, ", "))
		c.later(2*time.Second, 8*time.Second, c.startHost(ctx, h))
	}
}

// report reads back every key written and prints the figures.
func (c *chaos) report(ctx context.Context, cl *client.Client, res []writes, took time.Duration) error {
	var acked, lost, maybe, maybeThere int
	failed := map[string]int{}
	var lostKeys []string
	for w, r := range res {
		for k, n := range r.failed {
			failed[k] += n
		}
		for _, i := range r.acked {
			acked++
			v, err := cl.Get(ctx, key(w, i)).Result()
			if err != nil && !errors.Is(err, redis.Nil) {
				return fmt.Errorf("reading back %s: %w", key(w, i), err)
			}
			if v != strconv.Itoa(i) {
				lost++
				if len(lostKeys) < 10 {
					loc, _ := cl.Locate(key(w, i))
					lostKeys = append(lostKeys, fmt.Sprintf("%s (partition %d)", key(w, i), loc.Partition))
				}
			}
		}
		for _, i := range r.maybe {
			maybe++
			if v, err := cl.Get(ctx, key(w, i)).Result(); err == nil && v == strconv.Itoa(i) {
				maybeThere++
			}
		}
	}
	fmt.Printf("\n%-44s %s\n", "faults injected", fmtCounts(c.counts))
	fmt.Printf("%-44s %s\n", "run", took.Round(100*time.Millisecond))
	fmt.Printf("%-44s %d (%.0f/s)\n", "writes acknowledged", acked, float64(acked)/took.Seconds())
	fmt.Printf("%-44s %d, of them there after all: %d\n", "writes that may have run (failed)", maybe, maybeThere)
	fmt.Printf("%-44s %s\n", "writes failed, by kind", fmtCounts(failed))
	verdict := "PASS"
	if lost > 0 {
		verdict = "MISS: " + strings.Join(lostKeys, ", ")
	}
	fmt.Printf("%-44s %d (target 0) %s\n", "acknowledged writes lost", lost, verdict)
	return nil
}

func fmtCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
