// Command applybench is the apply benchmark of `make bench`. On 8 lab
// hosts it times
//
//   - a fresh `roma apply -auto-approve` of 64 data nodes (32 partitions ×
//     2 replicas) on empty hosts, against `ansible-playbook apply.yml`, the
//     equivalent playbook in bench/peers/ansible (directories, each node's
//     redis.conf, each redis-server started, REPLICAOF and the links up),
//     forks = number of hosts, on the same empty hosts;
//   - a no-op `roma apply -auto-approve` on the converged cluster, against
//     `roma plan` on it,
//
// and prints the medians and the ratios with their targets:
//
//	ansible / roma, fresh apply   at least 5×
//	no-op apply / plan            at most 1.2×
//
// It measures and reports; it never fails on time. It does fail when a run
// does not do what it must, so a broken run cannot pass for a fast one:
// roma's apply must exit 0 and say "Apply complete! Resources: N added"
// for every node; Ansible's recap must show no failed or unreachable host;
// and after either, `roma plan -detailed-exitcode` must find nothing to do
// (exit 0), so both built the same cluster. Between fresh runs the cluster
// is torn down with `roma destroy -auto-approve -purge-data` (on the
// cluster Ansible built too), the hosts are checked for conf files, data
// directories, pidfiles and redis-servers left behind, and what destroy
// keeps by design (roma's empty directories, the logs, the lock's files) is
// removed, so every run starts on empty hosts.
//
// Run it from the repository root, as root (it starts a lab):
//
//	go run ./bench/applybench [-runs 5] [-noop-runs 7] [-hosts 8] [-nodes 8] [-warmup=true] [-v]
//
// It installs ansible-core from Debian when ansible-playbook is missing.
// Everything runs on loopback; the lab (sshd hosts, redis-servers) and the
// work directory are removed at the end.
package main

import (
	"bufio"
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
	"syscall"
	"text/template"
	"time"

	"github.com/roma-redis/roma/bench/benchkit"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/hclspec"
	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/redisconf"
)

// password is the cluster password. Every output the driver shows is
// scrubbed of it.
const password = "bench-Secret-Pa55word"

type options struct {
	runs       int
	noopRuns   int
	hosts      int
	nodes      int
	warmup     bool
	ansibleDir string
	roma       string
	hold       bool
	verbose    bool
}

func main() {
	var o options
	flag.IntVar(&o.runs, "runs", 5, "timed fresh applies of each tool")
	flag.IntVar(&o.noopRuns, "noop-runs", 7, "timed no-op applies and plans")
	flag.IntVar(&o.hosts, "hosts", 8, "lab hosts")
	flag.IntVar(&o.nodes, "nodes", 8, "data nodes per host, an even number (2 per partition)")
	flag.BoolVar(&o.warmup, "warmup", true, "one untimed fresh apply of each tool first (it also checks that destroy tears down what each built)")
	flag.StringVar(&o.ansibleDir, "ansible", "bench/peers/ansible", "the playbook's directory")
	flag.StringVar(&o.roma, "roma", "", "the roma binary (default: build ./cmd/roma)")
	flag.BoolVar(&o.hold, "hold", false, "at the end, keep the converged cluster up until interrupted (to look into it by hand)")
	flag.BoolVar(&o.verbose, "v", false, "print every run's time")
	flag.Parse()
	if o.runs < 1 || o.noopRuns < 1 || o.hosts < 2 || o.nodes < 2 || o.nodes%2 != 0 {
		fmt.Fprintln(os.Stderr, "applybench: need -runs ≥ 1, -noop-runs ≥ 1, -hosts ≥ 2 and an even -nodes ≥ 2")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "applybench:", scrub(err.Error()))
		os.Exit(1)
	}
}

// bench is one benchmark run: its work directory, lab, cluster and tools.
type bench struct {
	o         options
	work      string
	roma      string
	ansible   string // the playbook directory, absolute
	lab       *lab.Lab
	dir       string // holds roma.hcl
	spec      *cluster.Spec
	inventory string
	cpDirs    []string // Ansible control_path_dirs, closed at the end

	destroyTimes []time.Duration // of each teardown's roma destroy
}

func run(ctx context.Context, o options) (err error) {
	b := &bench{o: o}
	defer func() {
		if cerr := b.cleanup(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	if b.work, b.ansible, b.roma, err = benchkit.Prepare(ctx, "applybench", o.ansibleDir, "apply.yml", o.roma); err != nil {
		return err
	}
	if err := b.setup(ctx); err != nil {
		return err
	}
	nodes := len(b.spec.Nodes)
	fmt.Printf("-- %d CPUs (load average %s); %s; %s\n", runtime.NumCPU(), benchkit.LoadAverage(),
		benchkit.FirstLine(benchkit.Output("ansible-playbook", "--version")), benchkit.FirstLine(benchkit.Output("redis-server", "--version")))
	fmt.Printf("-- %d data nodes (%d partitions × 2) on %d lab hosts, no status node, no romad; roma -parallelism 16 (its default), ansible forks %d\n",
		nodes, b.spec.Partitions, len(b.spec.Hosts), len(b.spec.Hosts))

	romaFresh := &fresh{label: fmt.Sprintf("fresh apply: roma apply, %d nodes", nodes), run: b.romaFresh}
	ansFresh := &fresh{label: fmt.Sprintf("fresh apply: ansible-playbook apply.yml, forks %d", len(b.spec.Hosts)), run: b.ansibleFresh}
	if o.warmup {
		fmt.Println("-- warm-up: one untimed fresh apply of each, each torn down with roma destroy -purge-data")
		for _, f := range []*fresh{romaFresh, ansFresh} {
			d, _, err := b.freshOnce(ctx, f)
			if err != nil {
				return err
			}
			fmt.Printf("   %-60s %9s\n", f.label, fmtDur(d))
		}
	}
	fmt.Printf("-- fresh applies on empty hosts, %d runs each, interleaved\n", o.runs)
	for r := range o.runs {
		for _, f := range []*fresh{romaFresh, ansFresh} {
			d, ph, err := b.freshOnce(ctx, f)
			if err != nil {
				return err
			}
			f.times = append(f.times, d)
			f.steps = append(f.steps, ph)
			if o.verbose {
				fmt.Printf("   run %d: %-53s %9s\n", r+1, f.label, fmtDur(d))
			}
		}
	}

	fmt.Println("-- converging the cluster for the no-op runs (roma apply, untimed)")
	if _, _, err := b.romaApplyFresh(ctx); err != nil {
		return err
	}
	noop := &command{label: "no-op apply: roma apply -auto-approve (converged)",
		argv: []string{b.roma, "apply", "-auto-approve", "-no-color", "-c", b.dir}, check: checkNoop}
	plan := &command{label: "plan: roma plan -detailed-exitcode (converged)",
		argv: []string{b.roma, "plan", "-detailed-exitcode", "-no-color", "-c", b.dir}, check: checkPlan}
	fmt.Printf("-- no-op apply and plan on the converged cluster, %d runs each, interleaved (after one untimed warm-up run)\n", o.noopRuns)
	for _, c := range []*command{noop, plan} {
		if _, err := b.once(ctx, c); err != nil {
			return err
		}
	}
	for range o.noopRuns {
		for _, c := range []*command{noop, plan} {
			d, err := b.once(ctx, c)
			if err != nil {
				return err
			}
			c.times = append(c.times, d)
			if o.verbose {
				fmt.Printf("   %-60s %9s\n", c.label, fmtDur(d))
			}
		}
	}

	fmt.Println("-- results")
	rows := []result{
		{romaFresh.label, romaFresh.times},
		{ansFresh.label, ansFresh.times},
		{noop.label, noop.times},
		{plan.label, plan.times},
	}
	printTable(rows)
	fmt.Println("-- ratios (medians)")
	fr, fa := median(romaFresh.times), median(ansFresh.times)
	benchkit.Ratio("fresh apply: ansible / roma", fa, fr, "≥ 5×", fa/fr >= 5)
	nr, pr := median(noop.times), median(plan.times)
	benchkit.Ratio("no-op apply / plan", nr, pr, "≤ 1.2×", nr/pr <= 1.2)
	fmt.Printf("-- where the time goes: roma's fresh apply by phase (medians; from its -json events' times)\n")
	printSteps(romaFresh.steps)
	fmt.Printf("-- where the time goes: Ansible's fresh apply by task (medians; from when each task's header appeared)\n")
	printSteps(ansFresh.steps)
	if ds := b.destroyTimes; len(ds) > 0 {
		fmt.Printf("-- teardown between runs (in none of the times above): roma destroy -purge-data, median %s of %d\n",
			benchkit.FmtSec(median(ds)), len(ds))
	}
	if o.hold {
		fmt.Printf("-- holding the cluster (roma.hcl in %s; ROMA_VAR_redis_password=%s); interrupt to end\n", b.dir, password)
		<-ctx.Done()
	}
	return nil
}

// setup starts the lab and writes roma.hcl and the Ansible inventory.
func (b *bench) setup(ctx context.Context) error {
	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	l, err := lab.Start(sctx, lab.Options{Hosts: b.o.hosts, Dir: filepath.Join(b.work, "lab")})
	if err != nil {
		return err
	}
	b.lab = l
	b.dir = filepath.Join(b.work, "cluster")
	if err := os.MkdirAll(b.dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(b.dir, "roma.hcl"), []byte(configText(l, b.o.nodes)), 0o644); err != nil {
		return err
	}
	cfg, diags := hclspec.Load(b.dir, hclspec.Options{Vars: []string{"redis_password=" + password}})
	if diags.HasErrors() {
		return fmt.Errorf("%s/roma.hcl: %s", b.dir, diags.Error())
	}
	b.spec = cfg.Spec
	if got, want := len(b.spec.Nodes), b.o.hosts*b.o.nodes; got != want {
		return fmt.Errorf("%s/roma.hcl declares %d nodes, want %d", b.dir, got, want)
	}
	if len(b.spec.Status) > 0 || b.spec.Romad != nil {
		return fmt.Errorf("%s/roma.hcl declares status nodes or romad; the playbook does neither", b.dir)
	}
	b.inventory = filepath.Join(b.dir, "inventory.yml")
	return b.writeInventory()
}

// configText is the roma.hcl of the benchmark cluster on lab l: nodes data
// nodes per host, two per partition on different hosts (the placement
// helper). No status node and no romad: the playbook builds neither, so
// both tools do the same work.
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
	fmt.Fprintf(&b, "placement {\n  hosts     = [%s]\n  replicas  = 2\n  base_port = 7000\n}\n", strings.Join(names, ", "))
	return b.String()
}

// inventory is what inventory-apply.yml.tmpl is filled in with.
type inventory struct {
	Port         int
	IdentityFile string
	SSHArgs      string
	Password     string
	Hosts        []invHost
}

type invHost struct {
	Name, Address string
	Dirs          []invDir
	Nodes         []invNode
}

type invDir struct {
	Path string `json:"path"`
	Mode string `json:"mode"`
}

type invNode struct {
	Name, Address string
	Port          int
	Conf, Pidfile string
	Data          string
	Content       string
	Master        bool
	ReplicaOf     []string // REPLICAOF's arguments: NO ONE, or the master's address and port
}

// writeInventory fills in the inventory template from the spec: the files
// are rendered by roma's own code and the roles are roma's bootstrap of a
// fresh partition (its first declared node master, the others its
// replicas), so Ansible builds the cluster roma builds.
func (b *bench) writeInventory() error {
	text, err := os.ReadFile(filepath.Join(b.ansible, "inventory-apply.yml.tmpl"))
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
		IdentityFile: b.lab.IdentityFile,
		SSHArgs:      fmt.Sprintf("-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes", b.lab.KnownHosts),
		Password:     password,
	}
	master := map[string]cluster.Node{} // node -> its partition's master
	for p := range b.spec.Partitions {
		ns := b.spec.PartitionNodes(p)
		for _, n := range ns {
			master[n.Name] = ns[0]
		}
	}
	for _, h := range b.spec.Hosts {
		l := cluster.LayoutOf(h)
		ih := invHost{Name: h.Name, Address: h.Address}
		for _, d := range l.Dirs() { // as apply's "Preparing hosts"
			mode := "0755"
			if d == l.EtcDir() {
				mode = "0700"
			}
			ih.Dirs = append(ih.Dirs, invDir{Path: d, Mode: mode})
		}
		for _, n := range b.spec.Nodes {
			if n.Host != h.Name {
				continue
			}
			ih.Dirs = append(ih.Dirs, invDir{Path: l.Data(n.Name), Mode: "0750"}) // as apply's "Writing conf files"
			t := redisconf.DataTarget(b.spec, n)
			in := invNode{
				Name: n.Name, Address: h.Address, Port: n.Port,
				Conf: l.Conf(n.Name), Pidfile: l.Pid(n.Name), Data: l.Data(n.Name),
				Content: string(redisconf.Render(b.spec, t)),
			}
			m := master[n.Name]
			if m.Name == n.Name {
				in.Master, in.ReplicaOf = true, []string{"NO", "ONE"}
			} else {
				mh, _ := b.spec.Host(m.Host)
				in.ReplicaOf = []string{mh.Address, strconv.Itoa(m.Port)}
			}
			ih.Nodes = append(ih.Nodes, in)
		}
		inv.Hosts = append(inv.Hosts, ih)
	}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, inv); err != nil {
		return err
	}
	return os.WriteFile(b.inventory, out.Bytes(), 0o600)
}

// runOut is what one run of a command said.
type runOut struct {
	out   []byte
	code  int
	start time.Time
	took  time.Duration
	tasks []mark // when each of Ansible's TASK lines appeared
}

// mark is a line of output and when it appeared.
type mark struct {
	at   time.Time
	line string
}

// stamper collects a command's output, and notes when each of
// Ansible's task headers appears (Ansible flushes every line it prints).
type stamper struct {
	buf   bytes.Buffer
	line  []byte
	marks []mark
}

func (s *stamper) Write(p []byte) (int, error) {
	now := time.Now()
	s.buf.Write(p)
	s.line = append(s.line, p...)
	for {
		i := bytes.IndexByte(s.line, '\n')
		if i < 0 {
			break
		}
		if l := string(s.line[:i]); strings.HasPrefix(l, "TASK [") || strings.HasPrefix(l, "PLAY RECAP") {
			s.marks = append(s.marks, mark{at: now, line: l})
		}
		s.line = s.line[i+1:]
	}
	return len(p), nil
}

// exec runs argv (with the password in ROMA_VAR_redis_password), and returns its output, exit code and
// wall time. A command that cannot start, or the driver interrupted, is an
// error; an exit code is not.
func (b *bench) exec(ctx context.Context, argv []string, ansible bool) (runOut, error) {
	rctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(rctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "ROMA_VAR_redis_password="+password)
	if ansible {
		// A fresh control_path_dir: this run opens its own connections.
		cp, err := os.MkdirTemp(b.work, "cp-")
		if err != nil {
			return runOut{}, err
		}
		b.cpDirs = append(b.cpDirs, cp)
		defer benchkit.CloseSSHMasters(cp, "applybench")
		cmd.Env = append(cmd.Env,
			"ANSIBLE_SSH_CONTROL_PATH_DIR="+cp,
			"ANSIBLE_CONFIG="+filepath.Join(b.ansible, "ansible.cfg"),
			"ANSIBLE_LOCAL_TEMP="+filepath.Join(b.work, "ansible-tmp"),
			"ANSIBLE_NOCOLOR=1")
	}
	var out stamper
	cmd.Stdout, cmd.Stderr = &out, &out
	r := runOut{start: time.Now()}
	err := cmd.Run()
	r.took = time.Since(r.start)
	r.out, r.tasks = out.buf.Bytes(), out.marks
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		r.code = exit.ExitCode()
	} else if err != nil {
		return r, fmt.Errorf("%s: %w", strings.Join(argv, " "), err)
	}
	if ctx.Err() != nil {
		return r, ctx.Err()
	}
	if rctx.Err() != nil {
		return r, fmt.Errorf("%s: timed out after 10m; output:\n%s", strings.Join(argv, " "), benchkit.Tail(scrub(string(r.out)), 4000))
	}
	if bytes.Contains(r.out, []byte(password)) {
		return r, fmt.Errorf("%s: the password appears in the output", strings.Join(argv, " "))
	}
	return r, nil
}

// bad is the error of a run that did not do what it must.
func bad(argv []string, r runOut, why string) error {
	return fmt.Errorf("%s: the run did not do what it must: %s (exit %d); output:\n%s",
		strings.Join(argv, " "), why, r.code, benchkit.Tail(scrub(string(r.out)), 4000))
}

// fresh is one tool's fresh apply: run builds the cluster on empty hosts
// and checks it, returning the wall time of the apply alone and where the
// time went (roma's phases, Ansible's tasks).
type fresh struct {
	label string
	run   func(ctx context.Context) (time.Duration, []step, error)
	times []time.Duration
	steps [][]step // of each timed run
}

// freshOnce checks that the hosts are empty, runs f, and tears the
// cluster down again.
func (b *bench) freshOnce(ctx context.Context, f *fresh) (time.Duration, []step, error) {
	if err := b.checkEmpty(); err != nil {
		return 0, nil, fmt.Errorf("before %s: %w", f.label, err)
	}
	d, ph, err := f.run(ctx)
	if err != nil {
		return 0, nil, err
	}
	if err := b.teardown(ctx); err != nil {
		return 0, nil, fmt.Errorf("after %s: %w", f.label, err)
	}
	return d, ph, nil
}

var applyAdded = regexp.MustCompile(`Apply complete! Resources: (\d+) added`)

// romaFresh runs roma apply on empty hosts and checks the result.
func (b *bench) romaFresh(ctx context.Context) (time.Duration, []step, error) {
	d, ph, err := b.romaApplyFresh(ctx)
	if err != nil {
		return 0, nil, err
	}
	return d, ph, b.checkConverged(ctx, "roma apply")
}

// romaApplyFresh runs roma apply -auto-approve -json on empty hosts: it
// must exit 0 and report every node added. It returns the wall time and
// the time of each phase, read from the events' timestamps ("planning" is
// from the start of the process to the first phase).
func (b *bench) romaApplyFresh(ctx context.Context) (time.Duration, []step, error) {
	argv := []string{b.roma, "apply", "-auto-approve", "-json", "-c", b.dir}
	r, err := b.exec(ctx, argv, false)
	if err != nil {
		return 0, nil, err
	}
	m := applyAdded.FindSubmatch(r.out)
	if r.code != 0 || m == nil {
		return 0, nil, bad(argv, r, `want exit 0 and "Apply complete! Resources: N added"`)
	}
	if n, _ := strconv.Atoi(string(m[1])); n < len(b.spec.Nodes) {
		return 0, nil, bad(argv, r, fmt.Sprintf("%d added, want at least the %d nodes", n, len(b.spec.Nodes)))
	}
	return r.took, phasesOf(r), nil
}

// phasesOf reads apply's phase events out of a -json stream.
func phasesOf(r runOut) []step {
	type event struct {
		Event struct {
			Time  time.Time `json:"time"`
			Type  string    `json:"type"`
			Phase string    `json:"phase"`
		} `json:"event"`
	}
	var out []step
	name, since := "planning (process start to the first phase)", r.start
	sc := bufio.NewScanner(bytes.NewReader(r.out))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.Event.Type != "phase" {
			continue
		}
		out = append(out, step{name, e.Event.Time.Sub(since)})
		name, since = e.Event.Phase, e.Event.Time
	}
	return append(out, step{name + " (to exit)", r.start.Add(r.took).Sub(since)})
}

var recapLine = regexp.MustCompile(`(?m)^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)`)

// ansibleFresh runs apply.yml on empty hosts and checks the result.
func (b *bench) ansibleFresh(ctx context.Context) (time.Duration, []step, error) {
	argv := []string{"ansible-playbook", "-i", b.inventory, filepath.Join(b.ansible, "apply.yml"),
		"-f", strconv.Itoa(len(b.spec.Hosts))}
	r, err := b.exec(ctx, argv, true)
	if err != nil {
		return 0, nil, err
	}
	recap := recapLine.FindAllSubmatch(r.out, -1)
	if len(recap) != len(b.spec.Hosts) {
		return 0, nil, bad(argv, r, fmt.Sprintf("the recap lists %d hosts, want %d", len(recap), len(b.spec.Hosts)))
	}
	for _, m := range recap {
		if string(m[4]) != "0" || string(m[5]) != "0" {
			return 0, nil, bad(argv, r, fmt.Sprintf("host %s: unreachable=%s failed=%s", m[1], m[4], m[5]))
		}
		if string(m[3]) == "0" {
			return 0, nil, bad(argv, r, fmt.Sprintf("host %s: nothing changed on an empty host", m[1]))
		}
	}
	if r.code != 0 {
		return 0, nil, bad(argv, r, "want exit 0")
	}
	return r.took, tasksOf(r), b.checkConverged(ctx, "ansible-playbook apply.yml")
}

var taskName = regexp.MustCompile(`^TASK \[(.*)\]`)

// tasksOf reads the time of each of Ansible's tasks (linear strategy: a
// task starts once the one before has ended on every host) from when its
// header appeared ("startup" is from the start of the process to the
// first task).
func tasksOf(r runOut) []step {
	var out []step
	name, since := "startup (process start to the first task)", r.start
	for _, m := range r.tasks {
		next := "PLAY RECAP"
		if t := taskName.FindStringSubmatch(m.line); t != nil {
			next = t[1]
		}
		out = append(out, step{name, m.at.Sub(since)})
		name, since = next, m.at
	}
	return append(out, step{name + " (to exit)", r.start.Add(r.took).Sub(since)})
}

// checkConverged runs roma plan -detailed-exitcode: after a fresh apply,
// by either tool, it must find nothing to do.
func (b *bench) checkConverged(ctx context.Context, after string) error {
	argv := []string{b.roma, "plan", "-detailed-exitcode", "-no-color", "-c", b.dir}
	r, err := b.exec(ctx, argv, false)
	if err != nil {
		return err
	}
	if err := checkPlan(r); err != nil {
		return bad(argv, r, "after "+after+": "+err.Error())
	}
	return nil
}

var destroyed = regexp.MustCompile(`Destroy complete`)

// teardown destroys the cluster with roma destroy -purge-data, checks
// that no conf file, data directory, pidfile or redis-server is left on
// any host, and removes what destroy keeps by design (roma's empty
// directories, the logs, the lock's files), so the next run starts on empty
// hosts.
func (b *bench) teardown(ctx context.Context) error {
	argv := []string{b.roma, "destroy", "-auto-approve", "-purge-data", "-c", b.dir}
	r, err := b.exec(ctx, argv, false)
	if err != nil {
		return err
	}
	if r.code != 0 || !destroyed.Match(r.out) {
		return bad(argv, r, `want exit 0 and "Destroy complete"`)
	}
	b.destroyTimes = append(b.destroyTimes, r.took)
	var problems []string
	for _, h := range b.lab.Hosts {
		for _, sub := range []string{"conf", "data", "run"} {
			entries, _ := os.ReadDir(filepath.Join(h.Root, sub))
			for _, e := range entries {
				if sub == "run" && strings.HasPrefix(e.Name(), "apply.lock") { // the lock's files stay, released
					continue
				}
				problems = append(problems, fmt.Sprintf("%s: /var/lib/roma/%s/%s", h.Name, sub, e.Name()))
			}
		}
		for _, pid := range redisServers(h) {
			problems = append(problems, fmt.Sprintf("%s: redis-server pid %d still runs", h.Name, pid))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("roma destroy -purge-data left behind: %s", strings.Join(problems, "; "))
	}
	for _, h := range b.lab.Hosts {
		if err := wipe(h.Root); err != nil {
			return err
		}
	}
	return nil
}

// checkEmpty checks that no host has anything under /var/lib/roma, nor a
// redis-server running.
func (b *bench) checkEmpty() error {
	var problems []string
	for _, h := range b.lab.Hosts {
		entries, err := os.ReadDir(h.Root)
		if err != nil {
			return err
		}
		for _, e := range entries {
			problems = append(problems, fmt.Sprintf("%s: /var/lib/roma/%s", h.Name, e.Name()))
		}
		for _, pid := range redisServers(h) {
			problems = append(problems, fmt.Sprintf("%s: redis-server pid %d", h.Name, pid))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("the hosts are not empty: %s", strings.Join(problems, "; "))
	}
	return nil
}

// redisServers lists the redis-servers running on lab host h.
func redisServers(h *lab.Host) []int {
	var pids []int
	for _, pid := range h.Processes() {
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if strings.TrimSpace(string(comm)) == "redis-server" {
			pids = append(pids, pid)
		}
	}
	return pids
}

// wipe removes everything inside dir (a lab host's root, a bind mount's
// source: the directory itself stays).
func wipe(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// command is a roma command timed on the converged cluster.
type command struct {
	label string
	argv  []string
	check func(r runOut) error
	times []time.Duration
}

// checkPlan: a plan of the converged cluster says "No changes." and
// exits 0 with -detailed-exitcode.
func checkPlan(r runOut) error {
	if r.code != 0 || !bytes.Contains(r.out, []byte("No changes.")) {
		return errors.New(`want "No changes." and exit 0`)
	}
	return nil
}

// checkNoop: a no-op apply plans, says "No changes." and exits 0 without
// applying anything.
func checkNoop(r runOut) error {
	if r.code != 0 || !bytes.Contains(r.out, []byte("No changes.")) || bytes.Contains(r.out, []byte("Apply complete")) {
		return errors.New(`want "No changes.", no "Apply complete" and exit 0`)
	}
	return nil
}

// once runs c and checks what it said; it returns the wall time.
func (b *bench) once(ctx context.Context, c *command) (time.Duration, error) {
	r, err := b.exec(ctx, c.argv, false)
	if err != nil {
		return 0, err
	}
	if err := c.check(r); err != nil {
		return 0, bad(c.argv, r, err.Error())
	}
	return r.took, nil
}

// result is the times of one row of the table.
type result struct {
	label string
	times []time.Duration
}

func median(ts []time.Duration) float64 {
	s := slices.Clone(ts)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2].Seconds()
	}
	return (s[n/2-1] + s[n/2]).Seconds() / 2
}

func printTable(rs []result) {
	fmt.Printf("   %-60s %4s %9s %9s %9s\n", "command", "runs", "median", "min", "max")
	for _, r := range rs {
		fmt.Printf("   %-60s %4d %9s %9s %9s\n", r.label, len(r.times),
			benchkit.FmtSec(median(r.times)), fmtDur(slices.Min(r.times)), fmtDur(slices.Max(r.times)))
	}
}

// step is one phase of roma's apply, or one task of Ansible's, and how
// long it took.
type step struct {
	name string
	took time.Duration
}

// printSteps prints the median time of each step over the runs, in the
// order the steps ran.
func printSteps(runs [][]step) {
	var names []string
	times := map[string][]time.Duration{}
	for _, steps := range runs {
		for _, st := range steps {
			if _, ok := times[st.name]; !ok {
				names = append(names, st.name)
			}
			times[st.name] = append(times[st.name], st.took)
		}
	}
	for _, name := range names {
		fmt.Printf("   %-60s %9s\n", name, benchkit.FmtSec(median(times[name])))
	}
}

func fmtDur(d time.Duration) string { return benchkit.FmtSec(d.Seconds()) }

func (b *bench) cleanup() error {
	for _, cp := range b.cpDirs {
		benchkit.CloseSSHMasters(cp, "applybench")
	}
	var errs []error
	if b.lab != nil {
		errs = append(errs, b.lab.Close())
	}
	if b.work != "" {
		errs = append(errs, os.RemoveAll(b.work))
	}
	return errors.Join(errs...)
}

func scrub(s string) string { return strings.ReplaceAll(s, password, "(sensitive)") }
