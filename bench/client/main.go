// Command client is the key-routing benchmark of `make bench`: roma's Go
// client and `roma cli --pipe` side by side with their peers, on a cluster
// of 4 partitions in the test lab, and three comparisons with targets:
//
//	(a) the client's pipelined SET/GET throughput / go-redis talking
//	    directly to the 4 masters with keys pre-grouped     at least 0.9×
//	(b) the client / go-redis through twemproxy (Debian's
//	    nutcracker) in front of the same 4 masters           at least 1.5×
//	(c) redis-cli --pipe time / roma cli --pipe time, the
//	    same SET commands into one node                      at least 0.8×
//
// The cluster: 4 lab hosts, one redis-server on each (one partition each,
// no replicas: the masters are what matter), a status node on the last
// host, the status published as romad publishes it (client/clienttest),
// hash "jump". A second cluster of one partition (a node and a status node
// on the first host) is roma cli's side of (c).
//
// (a) and (b): N keys are written with pipelined SETs, then read back with
// pipelined GETs, in batches of B consecutive keys, by G goroutines taking
// batches in turn; each phase's throughput is N / its time. The sides:
//
//   - roma: client.Client.Pipelined with the batch's B commands; the
//     client routes each command and sends one pipeline per master, in
//     parallel.
//   - direct: the same batches, pre-grouped by partition before the clock
//     starts (same hash function, providers/hash), each batch sent as one
//     go-redis pipeline per master, in parallel: the client's work without
//     the routing.
//   - direct/1b (information): the same pre-grouped batches, but the
//     goroutine that takes a batch adds every command to its master's
//     pipeline itself, then the pipelines are sent in parallel: the
//     structure roma's client (and go-redis's ClusterClient) has, since it
//     can only route what the application adds, one command at a time.
//   - direct/1p (information): each pipeline holds B keys of one
//     partition, as an application that sorted its keys by partition would
//     send them.
//   - nutcracker: the same batches as one go-redis pipeline each to
//     twemproxy (hash fnv1a_64, distribution modula, redis_auth), which
//     splits them over the same 4 masters.
//
// Every go-redis client has the same options (RESP2, no CLIENT SETINFO,
// 30s timeouts, go-redis's default pool). Each run flushes the masters,
// then checks every reply (N SETs answered OK, N GETs answered with the
// value written in this run), each master's key count (for roma and
// direct, the count its partition must hold; for nutcracker, N in all),
// and for roma a sample of keys read straight from the master of their
// partition. A run that fails a check stops the benchmark: a broken run
// cannot pass for a fast one. The sides take turns run after run, after
// one unrecorded warm-up run each. Beside the time, each phase's CPU time
// is measured: this process's (the Go clients), nutcracker's and the
// redis-servers' (their threads' schedstat), reported per operation; on a
// machine shared with other work it moves far less than the time does,
// and it says where a side's time goes. go-redis opens connections with
// HELLO, which nutcracker answers by closing the connection
// (github.com/redis/go-redis/issues/2616): the nutcracker side's
// connections answer that one command "unknown command" themselves, and
// go-redis falls back to AUTH.
//
// (c): a file of M SET commands in RESP (what redis-cli --pipe takes) is
// sent with `redis-cli --pipe` to the one-partition cluster's node, and
// with `roma cli --pipe` to that cluster (its status names that node
// master), each run timed from the start of the process to its exit; also
// (information) roma cli --pipe into the 4-partition cluster. Each run
// flushes first, then checks the "errors: 0, replies: M" line, each
// node's key count and every value; the command's CPU time and the
// redis-servers' are reported beside.
//
// It measures and reports; it never fails on time. Run it from the
// repository root, as root (it starts a lab):
//
//	go run ./bench/client [-keys 200000] [-batch 1000] [-conc 1,8] [-runs 7]
//	    [-pipe-cmds 500000] [-pipe-runs 7] [-only throughput|pipe] [-cpuprofile FILE] [-v]
//
// It needs nutcracker and redis-cli (scripts/bench.sh installs them).
// Everything listens on the lab's loopback addresses (nutcracker on the
// lab's spare address), and everything it started is gone at the end: the
// lab kills the redis-servers in its hosts, nutcracker is killed by pid.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/lab"
)

// password is the password of every node, status node and of nutcracker's
// pool. Output is scrubbed of it.
const password = "bench-Secret-Pa55word"

type options struct {
	keys       int
	batch      int
	conc       []int
	runs       int
	valueSize  int
	pipeCmds   int
	pipeRuns   int
	only       string
	roma       string
	cpuprofile string
	verbose    bool
}

func main() {
	var o options
	var conc string
	flag.IntVar(&o.keys, "keys", 200000, "keys written then read in each run of (a) and (b)")
	flag.IntVar(&o.batch, "batch", 1000, "commands per pipeline")
	flag.StringVar(&conc, "conc", "1,8", "goroutines sending pipelines (comma-separated: each is measured)")
	flag.IntVar(&o.runs, "runs", 7, "runs of each side in (a) and (b)")
	flag.IntVar(&o.valueSize, "value-size", 32, "bytes per value")
	flag.IntVar(&o.pipeCmds, "pipe-cmds", 500000, "SET commands in the --pipe file of (c)")
	flag.IntVar(&o.pipeRuns, "pipe-runs", 7, "runs of each side in (c)")
	flag.StringVar(&o.only, "only", "", `run one part only: "throughput" ((a) and (b)) or "pipe" ((c))`)
	flag.StringVar(&o.roma, "roma", "", "the roma binary (default: build ./cmd/roma)")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the throughput runs (this process: the Go clients) to FILE")
	flag.BoolVar(&o.verbose, "v", false, "print every run")
	flag.Parse()
	for _, f := range strings.Split(conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "client: -conc %q: want positive numbers separated by commas\n", conc)
			os.Exit(2)
		}
		o.conc = append(o.conc, n)
	}
	if o.keys < 1 || o.batch < 1 || o.runs < 1 || o.valueSize < 24 || o.pipeCmds < 1 || o.pipeRuns < 1 ||
		(o.only != "" && o.only != "throughput" && o.only != "pipe") {
		fmt.Fprintln(os.Stderr, "client: need -keys, -batch, -runs, -pipe-cmds, -pipe-runs ≥ 1, -value-size ≥ 24, and -only empty, throughput or pipe")
		os.Exit(2)
	}
	redis.SetLogger(quietLogger{}) // dial retries while nodes start are expected, not news
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "client:", scrub(err.Error()))
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) (err error) {
	if os.Geteuid() != 0 {
		return errors.New("the lab needs root")
	}
	if err := lab.EnsurePackages(); err != nil {
		return err
	}
	need := []string{"redis-cli"}
	if o.only != "pipe" {
		need = append(need, "nutcracker")
	}
	for _, p := range need {
		if _, err := exec.LookPath(p); err != nil {
			return fmt.Errorf("%s is missing: install it with scripts/deps.sh nutcracker:nutcracker (Debian packages nutcracker, redis-tools)", p)
		}
	}
	work, err := os.MkdirTemp("", "roma-clientbench-")
	if err != nil {
		return err
	}
	var l *lab.Lab
	var proxy *nutcracker
	defer func() {
		if proxy != nil {
			if perr := proxy.stop(); perr != nil && err == nil {
				err = perr
			}
		}
		if l != nil {
			if cerr := l.Close(); cerr != nil && err == nil {
				err = cerr
			}
		}
		os.RemoveAll(work)
	}()

	roma := o.roma
	if roma == "" && o.only != "throughput" {
		roma = filepath.Join(work, "roma")
		if out, err := exec.CommandContext(ctx, "go", "build", "-buildvcs=false", "-o", roma, "./cmd/roma").CombinedOutput(); err != nil {
			return fmt.Errorf("go build ./cmd/roma: %w\n%s", err, out)
		}
	}

	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	l, err = lab.Start(sctx, lab.Options{Hosts: partitions, Dir: filepath.Join(work, "lab")})
	cancel()
	if err != nil {
		return err
	}
	bctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	main4, err := setupCluster(bctx, l, work, mainCluster(l))
	if main4 != nil {
		defer main4.close()
	}
	var one *benchCluster
	if err == nil && o.only != "throughput" {
		one, err = setupCluster(bctx, l, work, pipeCluster(l))
		if one != nil {
			defer one.close()
		}
	}
	cancel()
	if err != nil {
		return err
	}

	load0 := loadAvg()
	header(o, l)
	var res results
	if o.only != "pipe" {
		proxy, err = startNutcracker(ctx, work, l.UnusedAddress(), main4)
		if err != nil {
			return fmt.Errorf("nutcracker: %w", err)
		}
		if o.cpuprofile != "" {
			f, err := os.Create(o.cpuprofile)
			if err != nil {
				return err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
		}
		res.tput, err = throughput(ctx, o, main4, proxy)
		if o.cpuprofile != "" {
			pprof.StopCPUProfile()
		}
		if err != nil {
			return err
		}
		if perr := proxy.stop(); perr != nil {
			return perr
		}
		proxy = nil
	}
	if o.only != "throughput" {
		res.pipe, err = pipeBench(ctx, o, work, roma, one, main4)
		if err != nil {
			return err
		}
	}
	report(os.Stdout, o, res, load0)
	return nil
}

// header says what runs where, before the runs.
func header(o options, l *lab.Lab) {
	fmt.Printf("== client: roma's client and roma cli --pipe vs go-redis direct, twemproxy and redis-cli (4 partitions, lab)\n")
	nc := ""
	if o.only != "pipe" {
		nc = ", " + strings.TrimPrefix(firstLine(output("nutcracker", "--version")), "This is ")
	}
	fmt.Printf("   %d CPUs, load average %s; redis-server %s, redis-cli %s%s\n", runtime.NumCPU(), loadAvg(),
		version("redis-server"), version("redis-cli"), nc)
	fmt.Printf("   4 masters, one per lab host (%s .. %s), hash jump, no replicas; every node and nutcracker on loopback\n",
		l.Hosts[0].Address, l.Hosts[len(l.Hosts)-1].Address)
	if o.only != "pipe" {
		fmt.Printf("   (a)(b): %d keys, %d-byte values, pipelines of %d, goroutines %v, %d runs per side, taking turns\n",
			o.keys, o.valueSize, o.batch, o.conc, o.runs)
	}
	if o.only != "throughput" {
		fmt.Printf("   (c): %d SET commands (RESP file, %d-byte values), %d runs per side, taking turns\n", o.pipeCmds, o.valueSize, o.pipeRuns)
	}
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func output(name string, args ...string) string {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil && len(out) == 0 {
		return name + ": " + err.Error()
	}
	return strings.TrimSpace(string(out))
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// version is the v= field of what a Redis program's --version says, or its
// last word.
func version(prog string) string {
	out := output(prog, "--version")
	f := strings.Fields(out)
	for _, w := range f {
		if v, ok := strings.CutPrefix(w, "v="); ok {
			return v
		}
	}
	if len(f) > 0 {
		return f[len(f)-1]
	}
	return out
}

func scrub(s string) string { return strings.ReplaceAll(s, password, "(sensitive)") }

func tail(s string, n int) string {
	s = scrub(strings.TrimSpace(s))
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}
