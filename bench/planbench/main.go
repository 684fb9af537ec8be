// Command planbench is the plan benchmark of `make bench`: it times
// `roma plan` on 8 lab hosts × 8 nodes, `ansible-playbook --check --diff`
// of the equivalent playbook in bench/peers/ansible against the same hosts
// (forks = number of hosts), and `roma plan` on 1 host × 8 nodes, each
// against a converged cluster, and prints the medians and the ratios with
// their targets:
//
//	ansible / roma (64 nodes)  at least 10×
//	roma 64 nodes / roma 8     at most 2×
//
// After the targets it prints what bounds the second ratio on a machine
// whose CPUs every lab host shares: SSH alone (connect and run `true` on
// every host at once), and where the large plan's CPU goes (the hosts'
// sshd and scripts, the redis-servers, roma), with the time that CPU takes
// at the least on this machine's CPUs.
//
// It measures and reports; it never fails on time. It does fail when a run
// does not say what a converged cluster must say (roma: "No changes." and
// exit 0 with -detailed-exitcode; Ansible: no changed, failed or
// unreachable host), so a broken run cannot pass for a fast one.
//
// Run it from the repository root, as root (it starts a lab):
//
//	go run ./bench/planbench [-runs 7] [-hosts 8] [-nodes 8] [-first=false] [-v]
//
// It installs ansible-core from Debian when ansible-playbook is missing.
// Everything runs on loopback; the labs (sshd hosts, redis-servers) and
// the work directory are removed at the end.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/template"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/bench/benchkit"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/hclspec"
	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/redisconf"
)

// password is the cluster password of both benchmark clusters. Every
// output the driver shows is scrubbed of it.
const password = "bench-Secret-Pa55word"

type options struct {
	runs       int
	hosts      int
	nodes      int
	ansibleDir string
	roma       string
	first      bool
	firstAns   int
	hold       bool
	verbose    bool
}

func main() {
	var o options
	flag.IntVar(&o.runs, "runs", 7, "timed runs of each command")
	flag.IntVar(&o.hosts, "hosts", 8, "hosts of the large cluster (the small one has 1)")
	flag.IntVar(&o.nodes, "nodes", 8, "data nodes per host, an even number (2 per partition)")
	flag.StringVar(&o.ansibleDir, "ansible", "bench/peers/ansible", "the playbook's directory")
	flag.StringVar(&o.roma, "roma", "", "the roma binary (default: build ./cmd/roma)")
	flag.BoolVar(&o.first, "first", true, "also time plans against empty hosts, before the clusters exist")
	flag.IntVar(&o.firstAns, "first-ansible", 1, "Ansible's runs against empty hosts (roma's: -runs)")
	flag.BoolVar(&o.hold, "hold", false, "at the end, keep the clusters up until interrupted (to look into them by hand)")
	flag.BoolVar(&o.verbose, "v", false, "print every run's time")
	flag.Parse()
	if o.runs < 1 || o.firstAns < 1 || o.hosts < 2 || o.nodes < 2 || o.nodes%2 != 0 {
		fmt.Fprintln(os.Stderr, "planbench: need -runs ≥ 1, -hosts ≥ 2 and an even -nodes ≥ 2")
		os.Exit(2)
	}
	redis.SetLogger(quietLogger{}) // bootstrap's dial retries are expected, not news
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "planbench:", scrub(err.Error()))
		os.Exit(1)
	}
}

// bench is one benchmark run: its work directory, labs and commands.
type bench struct {
	o       options
	work    string
	roma    string
	ansible string // the playbook directory, absolute
	labs    []*lab.Lab
	cpDirs  []string // Ansible control_path_dirs, closed at the end
}

func run(ctx context.Context, o options) (err error) {
	b := &bench{o: o}
	defer func() {
		if cerr := b.cleanup(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	if b.work, b.ansible, b.roma, err = benchkit.Prepare(ctx, "planbench", o.ansibleDir, "plan.yml", o.roma); err != nil {
		return err
	}

	fmt.Printf("-- %d CPUs (load average %s); %s; %s; roma plan -parallelism 16 (its default)\n", runtime.NumCPU(),
		benchkit.LoadAverage(), benchkit.FirstLine(benchkit.Output("ansible-playbook", "--version")), benchkit.FirstLine(benchkit.Output("redis-server", "--version")))
	big, err := b.cluster(ctx, "big", o.hosts, o.nodes)
	if err != nil {
		return err
	}
	small, err := b.cluster(ctx, "small", 1, o.nodes)
	if err != nil {
		return err
	}
	romaBig := b.romaPlan(big, fmt.Sprintf("roma plan, %d hosts × %d nodes", o.hosts, o.nodes))
	romaSmall := b.romaPlan(small, fmt.Sprintf("roma plan, 1 host × %d nodes", o.nodes))
	ansible := b.ansiblePlan(big, fmt.Sprintf("ansible-playbook --check --diff, %d hosts × %d nodes, forks %d", o.hosts, o.nodes, o.hosts))

	var firstRows []result
	if o.first {
		fmt.Println("-- first run: empty hosts (every node to create)")
		for _, c := range []*command{romaBig, ansible, romaSmall} {
			c.converged = false
		}
		rs, err := b.measure(ctx, []*command{romaBig, ansible, romaSmall}, []int{o.runs, o.firstAns, o.runs})
		if err != nil {
			return err
		}
		firstRows = rs
		printTable(rs)
		for _, c := range []*command{romaBig, ansible, romaSmall} {
			c.converged = true
		}
	}

	fmt.Println("-- bootstrapping both clusters")
	start := time.Now()
	for _, c := range []*clusterRun{big, small} {
		bctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		err := plantest.Bootstrap(bctx, c.spec)
		cancel()
		if err != nil {
			return fmt.Errorf("bootstrap %s: %w", c.name, err)
		}
	}
	fmt.Printf("   %d + %d nodes up in %s\n", len(big.spec.Nodes), len(small.spec.Nodes), time.Since(start).Round(time.Millisecond))

	fmt.Printf("-- converged clusters, %d runs each (after one untimed warm-up run)\n", o.runs)
	if romaBig.meter, err = newHostMeter(big); err != nil {
		return err
	}
	cmds := []*command{romaBig, ansible, romaSmall}
	for _, c := range cmds { // warm-up, and a first check that each run says what it must
		if _, _, err := b.once(ctx, c); err != nil {
			return err
		}
	}
	rows, err := b.measure(ctx, cmds, []int{o.runs, o.runs, o.runs})
	if err != nil {
		return err
	}
	printTable(rows)
	rb, ra, rs := rows[0].median(), rows[1].median(), rows[2].median()
	fmt.Println("-- ratios (medians)")
	benchkit.Ratio(fmt.Sprintf("ansible / roma plan, %d nodes", len(big.spec.Nodes)), ra, rb, "≥ 10×", ra/rb >= 10)
	benchkit.Ratio(fmt.Sprintf("roma plan %d nodes / %d nodes", len(big.spec.Nodes), len(small.spec.Nodes)), rb, rs, "≤ 2×", rb/rs <= 2)
	// The floor: SSH alone, as roma connects (remote.Dial) and runs one
	// command, on every host of each cluster at once.
	fb, fbCPU, err := sshFloor(ctx, big.spec, o.runs)
	if err != nil {
		return err
	}
	fs, fsCPU, err := sshFloor(ctx, small.spec, o.runs)
	if err != nil {
		return err
	}
	fmt.Printf("   SSH alone (connect and run `true`, as roma does, every host at once; medians of %d): %d hosts %s (the machine's CPU %s), 1 host %s (%s);\n"+
		"        the %d hosts' SSH alone takes %.2f× the whole %d-node plan (information: the floor of the ratio on this machine)\n",
		o.runs, len(big.spec.Hosts), benchkit.FmtSec(fb), benchkit.FmtSec(fbCPU), benchkit.FmtSec(fs), benchkit.FmtSec(fsCPU),
		len(big.spec.Hosts), fb/rs, len(small.spec.Nodes))
	// What explains the second ratio here: every lab host shares this
	// machine's CPUs, so the large plan's CPU (sshd, shells and Redis on
	// every host, and roma) bounds its time from below.
	printSplit(rows[0], len(big.spec.Nodes), len(small.spec.Nodes), fbCPU, rs)
	if len(firstRows) == 3 {
		fb, fa := firstRows[0].median(), firstRows[1].median()
		benchkit.Ratio(fmt.Sprintf("first run: ansible / roma plan, %d nodes", len(big.spec.Nodes)), fa, fb, "", true)
	}
	if o.hold {
		fmt.Printf("-- holding the clusters (roma.hcl in %s and %s; ROMA_VAR_redis_password=%s); interrupt to end\n", big.dir, small.dir, password)
		<-ctx.Done()
	}
	return nil
}

// sshFloor connects to every host of spec at once, as roma does, runs
// `true` on each and closes, runs times; it returns the median wall time
// and machine CPU, in seconds.
func sshFloor(ctx context.Context, spec *cluster.Spec, runs int) (wall, cpu float64, err error) {
	var walls, cpus []time.Duration
	for range runs {
		cpu0 := benchkit.MachineCPU()
		start := time.Now()
		errs := make([]error, len(spec.Hosts))
		var wg sync.WaitGroup
		for i, h := range spec.Hosts {
			wg.Go(func() {
				t, err := plantest.Dial(ctx, h)
				if err != nil {
					errs[i] = err
					return
				}
				defer t.Close()
				if _, err := t.Run(ctx, "true"); err != nil {
					errs[i] = fmt.Errorf("true on %s: %w", h.Name, err)
				}
			})
		}
		wg.Wait()
		walls = append(walls, time.Since(start))
		cpus = append(cpus, benchkit.MachineCPU()-cpu0)
		if err := errors.Join(errs...); err != nil {
			return 0, 0, err
		}
	}
	return medianOf(walls), medianOf(cpus), nil
}

// clusterRun is one benchmark cluster: its lab, roma.hcl and inventory.
type clusterRun struct {
	name      string
	lab       *lab.Lab
	dir       string // holds roma.hcl
	spec      *cluster.Spec
	inventory string
}

// cluster starts a lab of hosts hosts and writes a roma.hcl with nodes
// data nodes on each (two per partition), and its Ansible inventory.
func (b *bench) cluster(ctx context.Context, name string, hosts, nodes int) (*clusterRun, error) {
	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	l, err := lab.Start(sctx, lab.Options{Hosts: hosts, Dir: filepath.Join(b.work, "lab-"+name)})
	if err != nil {
		return nil, err
	}
	b.labs = append(b.labs, l)
	c := &clusterRun{name: name, lab: l, dir: filepath.Join(b.work, name)}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(c.dir, "roma.hcl"), []byte(configText(l, nodes)), 0o644); err != nil {
		return nil, err
	}
	cfg, diags := hclspec.Load(c.dir, hclspec.Options{Vars: []string{"redis_password=" + password}})
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s/roma.hcl: %s", c.dir, diags.Error())
	}
	c.spec = cfg.Spec
	if got, want := len(c.spec.Nodes), hosts*nodes; got != want {
		return nil, fmt.Errorf("%s/roma.hcl declares %d nodes, want %d", c.dir, got, want)
	}
	c.inventory = filepath.Join(c.dir, "inventory.yml")
	return c, b.writeInventory(c)
}

// configText is the roma.hcl of a benchmark cluster on lab l: nodes data
// nodes per host, two per partition, each on its own host where there are
// several (the placement helper), both on the one host otherwise.
func configText(l *lab.Lab, nodes int) string {
	var b strings.Builder
	partitions := len(l.Hosts) * nodes / 2
	fmt.Fprintf(&b, "variable \"redis_password\" {\n  sensitive = true\n}\n\n")
	fmt.Fprintf(&b, "cluster \"bench\" {\n  partitions = %d\n  password   = var.redis_password\n\n  redis {\n    maxmemory        = \"64mb\"\n    maxmemory-policy = \"allkeys-lru\"\n  }\n}\n\n", partitions)
	var names []string
	for _, h := range l.Hosts {
		names = append(names, strconv.Quote(h.Name))
		fmt.Fprintf(&b, "host %q {\n  address = %q\n  service = \"process\"\n\n  ssh {\n    user          = \"root\"\n    port          = %d\n    identity_file = %q\n    known_hosts   = %q\n  }\n}\n\n",
			h.Name, h.Address, h.Port, l.IdentityFile, l.KnownHosts)
	}
	if len(l.Hosts) > 1 {
		fmt.Fprintf(&b, "placement {\n  hosts     = [%s]\n  replicas  = 2\n  base_port = 7000\n}\n", strings.Join(names, ", "))
		return b.String()
	}
	// One host: placement wants a host per replica, so the nodes are
	// declared one by one (each partition on one host is a warning only).
	h := l.Hosts[0].Name
	for i := range nodes {
		fmt.Fprintf(&b, "node \"%s-%d\" {\n  host      = %q\n  port      = %d\n  partition = %d\n}\n\n", h, 7000+i, h, 7000+i, i/2)
	}
	return b.String()
}

// inventory is what inventory.yml.tmpl is filled in with.
type inventory struct {
	Port         int
	IdentityFile string
	SSHArgs      string
	Password     string
	Hosts        []invHost
}

type invHost struct {
	Name, Address string
	Dirs          []string
	Nodes         []invNode
}

type invNode struct {
	Name, Address string
	Port          int
	Conf, Pidfile string
	Content       string
	Config        map[string]string // what CONFIG GET should say
}

// writeInventory fills in the inventory template for c from its spec:
// the files and settings are rendered by roma's own code, so a converged
// cluster shows no difference to Ansible either.
func (b *bench) writeInventory(c *clusterRun) error {
	text, err := os.ReadFile(filepath.Join(b.ansible, "inventory.yml.tmpl"))
	if err != nil {
		return err
	}
	tmpl, err := template.New("inventory").Funcs(template.FuncMap{
		"json": func(v any) (string, error) {
			out, err := json.Marshal(v)
			return string(out), err
		},
	}).Parse(string(text))
	if err != nil {
		return err
	}
	inv := inventory{
		Port:         lab.Port,
		IdentityFile: c.lab.IdentityFile,
		SSHArgs:      fmt.Sprintf("-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes", c.lab.KnownHosts),
		Password:     password,
	}
	for _, h := range c.spec.Hosts {
		l := cluster.LayoutOf(h)
		ih := invHost{Name: h.Name, Address: h.Address, Dirs: l.Dirs()}
		for _, n := range c.spec.Nodes {
			if n.Host != h.Name {
				continue
			}
			t := redisconf.DataTarget(c.spec, n)
			ih.Nodes = append(ih.Nodes, invNode{
				Name: n.Name, Address: h.Address, Port: n.Port,
				Conf: l.Conf(n.Name), Pidfile: l.Pid(n.Name),
				Content: string(redisconf.Render(c.spec, t)),
				Config:  configGet(c.spec, t),
			})
		}
		inv.Hosts = append(inv.Hosts, ih)
	}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, inv); err != nil {
		return err
	}
	return os.WriteFile(c.inventory, out.Bytes(), 0o600)
}

// configGet returns the settings roma's plan compares on node t, with the
// values CONFIG GET reports on a converged node: the watched defaults,
// overridden by what the rendered file declares.
func configGet(spec *cluster.Spec, t redisconf.Target) map[string]string {
	out := map[string]string{}
	for k, v := range redisconf.Watched {
		out[k] = v
	}
	for k, s := range redisconf.Desired(spec, t) {
		if !redisconf.Known(k) {
			continue
		}
		out[k] = redisconf.Normalize(k, s.Values)
	}
	return out
}

// command is one of the three benchmarked commands.
type command struct {
	label     string
	argv      []string
	env       []string
	converged bool                                             // what the output must say: converged, or everything to create
	check     func(out []byte, code int, converged bool) error // nil when the run said what it must
	ansible   bool
	meter     *hostMeter // where the CPU goes on the hosts, once the cluster is up
}

func (b *bench) romaPlan(c *clusterRun, label string) *command {
	return &command{
		label: label, converged: true,
		argv: []string{b.roma, "plan", "-c", c.dir, "-detailed-exitcode", "-no-color"},
		env:  []string{"ROMA_VAR_redis_password=" + password},
		check: func(out []byte, code int, converged bool) error {
			switch {
			case bytes.Contains(out, []byte(password)):
				return errors.New("the password appears in the output")
			case converged && (code != 0 || !bytes.Contains(out, []byte("No changes."))):
				return fmt.Errorf("want \"No changes.\" and exit 0, got exit %d", code)
			case !converged:
				m := planAdd.FindSubmatch(out)
				if n := 0; m != nil {
					n, _ = strconv.Atoi(string(m[1]))
					if code == 2 && n >= len(c.spec.Nodes) {
						return nil
					}
				}
				return fmt.Errorf("want \"Plan: N to add\" with N ≥ %d nodes and exit 2, got exit %d", len(c.spec.Nodes), code)
			}
			return nil
		},
	}
}

var planAdd = regexp.MustCompile(`Plan: (\d+) to add`)

var recapLine = regexp.MustCompile(`(?m)^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)`)

func (b *bench) ansiblePlan(c *clusterRun, label string) *command {
	return &command{
		label: label, converged: true, ansible: true,
		argv: []string{"ansible-playbook", "-i", c.inventory, filepath.Join(b.ansible, "plan.yml"),
			"--check", "--diff", "-f", strconv.Itoa(len(c.spec.Hosts))},
		env: []string{
			"ANSIBLE_CONFIG=" + filepath.Join(b.ansible, "ansible.cfg"),
			"ANSIBLE_LOCAL_TEMP=" + filepath.Join(b.work, "ansible-tmp"),
			"ANSIBLE_NOCOLOR=1",
		},
		check: func(out []byte, code int, converged bool) error {
			recap := recapLine.FindAllSubmatch(out, -1)
			if len(recap) != len(c.spec.Hosts) {
				return fmt.Errorf("exit %d, and the recap lists %d hosts, want %d", code, len(recap), len(c.spec.Hosts))
			}
			changed := 0
			for _, m := range recap {
				ch, _ := strconv.Atoi(string(m[3]))
				if string(m[4]) != "0" || string(m[5]) != "0" {
					return fmt.Errorf("host %s: unreachable=%s failed=%s", m[1], m[4], m[5])
				}
				if converged && ch != 0 {
					return fmt.Errorf("host %s: changed=%d on a converged cluster", m[1], ch)
				}
				changed += ch
			}
			if code != 0 {
				return fmt.Errorf("exit %d", code)
			}
			if !converged && changed == 0 {
				return errors.New("nothing to change on empty hosts")
			}
			return nil
		},
	}
}

// once runs c and checks what it said; it returns the wall time and the
// CPU time used meanwhile by the command itself and by the whole machine
// (sshd, the shells, redis-server and the rest).
func (b *bench) once(ctx context.Context, c *command) (took time.Duration, cpu cpuUse, err error) {
	rctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(rctx, c.argv[0], c.argv[1:]...)
	cmd.Env = append(os.Environ(), c.env...)
	if c.ansible {
		// A fresh control_path_dir: this run opens its own connections.
		cp, err := os.MkdirTemp(b.work, "cp-")
		if err != nil {
			return 0, cpu, err
		}
		b.cpDirs = append(b.cpDirs, cp)
		defer benchkit.CloseSSHMasters(cp, "planbench")
		cmd.Env = append(cmd.Env, "ANSIBLE_SSH_CONTROL_PATH_DIR="+cp)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	var h0, r0 time.Duration
	if c.meter != nil {
		h0, r0 = c.meter.read()
	}
	cpu0 := benchkit.MachineCPU()
	start := time.Now()
	err = cmd.Run()
	took = time.Since(start)
	cpu.machine = benchkit.MachineCPU() - cpu0
	if c.meter != nil {
		time.Sleep(50 * time.Millisecond) // sshd reaps its sessions
		h1, r1 := c.meter.read()
		cpu.hosts, cpu.redis = h1-h0, r1-r0
	}
	if ps := cmd.ProcessState; ps != nil {
		cpu.cmd = ps.UserTime() + ps.SystemTime()
	}
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		return 0, cpu, fmt.Errorf("%s: %w", c.label, err)
	}
	if ctx.Err() != nil {
		return 0, cpu, ctx.Err()
	}
	if err := c.check(out.Bytes(), code, c.converged); err != nil {
		return 0, cpu, fmt.Errorf("%s: %s: the run did not say what it must: %w; output:\n%s",
			c.label, strings.Join(c.argv, " "), err, benchkit.Tail(scrub(out.String()), 4000))
	}
	if b.o.verbose {
		fmt.Printf("   %-60s %s  CPU: the command %s, the machine %s\n", c.label, fmtDur(took), fmtDur(cpu.cmd), fmtDur(cpu.machine))
	}
	return took, cpu, nil
}

// cpuUse is the CPU time of one run.
// cpuUse is the CPU time one run took: the command's, the machine's, and,
// for a command with a hostMeter, its lab hosts' and redis-servers'.
type cpuUse struct{ cmd, machine, hosts, redis time.Duration }

// result is the times of one command.
type result struct {
	label string
	times []time.Duration
	cpu   []cpuUse
}

// medianOf is the median of durations, in seconds.
func medianOf(d []time.Duration) float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2].Seconds()
	}
	return (s[n/2-1] + s[n/2]).Seconds() / 2
}

// cpuMedians are the medians of the command's and the machine's CPU.
func (r result) cpuMedians() (cmd, machine float64) {
	var c, m []time.Duration
	for _, u := range r.cpu {
		c, m = append(c, u.cmd), append(m, u.machine)
	}
	return medianOf(c), medianOf(m)
}

func (r result) median() float64 { return medianOf(r.times) }

// measure runs cmds[i] runs[i] times, interleaved so that any drift of
// the machine touches all of them alike.
func (b *bench) measure(ctx context.Context, cmds []*command, runs []int) ([]result, error) {
	rs := make([]result, len(cmds))
	for i, c := range cmds {
		rs[i].label = c.label
	}
	for r := range slices.Max(runs) {
		for i, c := range cmds {
			if r >= runs[i] {
				continue
			}
			d, u, err := b.once(ctx, c)
			if err != nil {
				return nil, err
			}
			rs[i].times = append(rs[i].times, d)
			rs[i].cpu = append(rs[i].cpu, u)
		}
	}
	return rs, nil
}

func printTable(rs []result) {
	fmt.Printf("   %-60s %4s %9s %9s %9s   %s\n", "command", "runs", "median", "min", "max", "CPU, medians: the command | the machine")
	for _, r := range rs {
		cc, cm := r.cpuMedians()
		fmt.Printf("   %-60s %4d %9s %9s %9s   %s | %s\n", r.label, len(r.times),
			benchkit.FmtSec(r.median()), fmtDur(slices.Min(r.times)), fmtDur(slices.Max(r.times)), benchkit.FmtSec(cc), benchkit.FmtSec(cm))
	}
}

func fmtDur(d time.Duration) string { return benchkit.FmtSec(d.Seconds()) }

func (b *bench) cleanup() error {
	for _, cp := range b.cpDirs {
		benchkit.CloseSSHMasters(cp, "planbench")
	}
	var errs []error
	for _, l := range b.labs {
		errs = append(errs, l.Close())
	}
	if b.work != "" {
		errs = append(errs, os.RemoveAll(b.work))
	}
	return errors.Join(errs...)
}

func scrub(s string) string { return strings.ReplaceAll(s, password, "(sensitive)") }

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}
