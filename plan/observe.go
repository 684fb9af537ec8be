package plan

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconf"
	"github.com/roma-redis/roma/remote"
	"github.com/roma-redis/roma/status"
)

// RedisRunning is HostState.Redis for a host where redis-server is
// installed and a node of it runs: the host is not asked for the version
// (running redis-server --version costs it a process), Observe takes the
// one a node there reports. It stays so when none answered.
const RedisRunning = "installed (version not read: no node on the host answered)"

// Dialer opens the transport to a host.
type Dialer func(ctx context.Context, h cluster.Host) (remote.Transport, error)

// Observer gathers the live state of a cluster.
type Observer struct {
	Dial        Dialer
	Parallelism int           // hosts and nodes observed at once; default 16
	Timeout     time.Duration // per host and per node; default 10s
}

// Observe observes every host and node of spec in parallel. It never fails
// as a whole: what could not be observed is recorded in the State with the
// reason, so a plan can still show everything else.
func (o Observer) Observe(ctx context.Context, spec *cluster.Spec) *State {
	start := time.Now()
	par := o.Parallelism
	if par <= 0 {
		par = 16
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	st := &State{Hosts: map[string]*HostState{}, Nodes: map[string]*NodeState{}}
	var mu sync.Mutex
	// Hosts (an SSH round trip each) and nodes (a Redis round trip each,
	// much cheaper) have bounds of their own, so that slow hosts do not
	// hold up the nodes.
	hostSem := make(chan struct{}, par)
	nodeSem := make(chan struct{}, 4*par)
	var wg sync.WaitGroup
	limited := func(sem chan struct{}, fn func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			fn()
		}()
	}
	goLimited := func(fn func()) { limited(nodeSem, fn) }
	names := comparedSettings(spec)
	for _, h := range spec.Hosts {
		limited(hostSem, func() {
			hctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			hs := o.observeHost(hctx, spec, h)
			mu.Lock()
			st.Hosts[h.Name] = hs
			mu.Unlock()
		})
	}
	for _, t := range targets(spec) {
		goLimited(func() {
			nctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			ns := observeNode(nctx, spec, names, t.Name, net.JoinHostPort(t.Host.Address, strconv.Itoa(t.Port)))
			mu.Lock()
			st.Nodes[t.Name] = ns
			mu.Unlock()
		})
	}
	wg.Wait()
	// Nodes roma.hcl no longer declares on a host where a conf file of
	// theirs is (removed, or moved to another host): observe them too, at
	// the address their file names. A master among them must hand its
	// partition over before it goes.
	declaredOn := map[string]string{}
	for _, t := range targets(spec) {
		declaredOn[t.Name] = t.Host.Name
	}
	var extra, moving []*NodeState
	for hn, hs := range st.Hosts {
		for name, f := range hs.Files {
			if declaredOn[name] == hn {
				// Declared here, at another address than its file's (its
				// port or its host's address changed): where it runs
				// until apply restarts it there.
				if ns := st.Nodes[name]; ns != nil && !ns.Reachable {
					addr := redisconf.FileAddr(f.Content)
					if addr == ns.Addr {
						// The file is rewritten already (an apply that
						// stopped half way): the process in the pidfile
						// says where it runs.
						addr = ""
						if s := hs.Services[name]; s != nil {
							addr = titleAddr(s.Title)
						}
					}
					if addr != "" && addr != ns.Addr {
						moving = append(moving, &NodeState{Name: name, Addr: addr})
					}
				}
				continue
			}
			addr := redisconf.FileAddr(f.Content)
			if addr == "" {
				continue
			}
			extra = append(extra, &NodeState{Name: name, Addr: addr})
		}
	}
	// A data node the published status names that roma.hcl no longer
	// declares at all, its host removed with it: observed at the address
	// the status gives. A master among them hands over; the plan says
	// that the others keep running.
	if rec := publishedStatus(spec, st); rec != nil {
		for _, m := range rec.NodeNames() {
			if n := rec.Nodes[m]; n.Partition >= 0 && declaredOn[m] == "" && n.Addr != "" &&
				!slices.ContainsFunc(extra, func(ns *NodeState) bool { return ns.Name == m }) {
				extra = append(extra, &NodeState{Name: m, Addr: n.Addr})
			}
		}
	}
	if len(extra) > 0 {
		st.Leaving = map[string]*NodeState{}
	}
	for _, ns := range extra {
		goLimited(func() {
			nctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			got := observeNode(nctx, spec, names, ns.Name, ns.Addr)
			mu.Lock()
			st.Leaving[ns.Name] = got
			mu.Unlock()
		})
	}
	for _, ns := range moving {
		goLimited(func() {
			nctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			if got := observeNode(nctx, spec, names, ns.Name, ns.Addr); got.Reachable {
				mu.Lock()
				got.Declared = st.Nodes[ns.Name]
				st.Nodes[ns.Name] = got
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	lctx, cancel := context.WithTimeout(ctx, timeout)
	o.observeLastWords(lctx, spec, st)
	cancel()
	for _, t := range targets(spec) {
		if hs := st.Hosts[t.Host.Name]; hs != nil && hs.Redis == RedisRunning {
			if ns := st.Nodes[t.Name]; ns != nil && ns.Reachable && ns.Version != "" {
				hs.Redis = ns.Version
			}
		}
	}
	st.Took = time.Since(start)
	return st
}

// publishedStatus returns the status with the highest epoch that the
// status nodes of st hold, or nil.
func publishedStatus(spec *cluster.Spec, st *State) *status.Status {
	var best *status.Status
	for _, s := range spec.Status {
		ns := st.Nodes[s.Name]
		if ns == nil || ns.StatusRecord == nil {
			continue
		}
		if rec, err := status.FromFields(ns.StatusRecord); err == nil && (best == nil || rec.Epoch > best.Epoch) {
			best = rec
		}
	}
	return best
}

// targets lists every data and status node as a render target.
func targets(spec *cluster.Spec) []redisconf.Target {
	var out []redisconf.Target
	for _, n := range spec.Status {
		out = append(out, redisconf.StatusTarget(spec, n))
	}
	for _, n := range spec.Nodes {
		out = append(out, redisconf.DataTarget(spec, n))
	}
	return out
}

// titleAddr returns the address a redis-server process title shows
// ("redis-server 127.0.0.1:7000"), or "".
func titleAddr(title string) string {
	f := strings.Fields(title)
	if len(f) < 2 || !strings.Contains(f[0], "redis-server") {
		return ""
	}
	if _, _, err := net.SplitHostPort(f[1]); err != nil {
		return ""
	}
	return f[1]
}

// hostScript is what a plan runs on a host, in one SSH round trip, with
// as few processes as it can (each costs the host a fork and an exec, and
// a plan runs it on every host at once): uname where the kernel does not
// say it in /proc; redis-server --version only when no node runs there
// (a running node tells its version) or when a running node's binary is
// no longer the installed one (a package upgrade); one
// sha256sum for romad's files; one tar of the conf files, written raw
// after a "tar" line, last. Everything else is the shell's own.
func hostScript(spec *cluster.Spec, h cluster.Host) string {
	l := cluster.LayoutOf(h)
	q := remote.ShellQuote
	var b strings.Builder
	b.WriteString("LC_ALL=C; export LC_ALL\n")
	// uname -s -m, from the kernel's own files where it has them (no
	// fork then), else from uname itself, on one line.
	b.WriteString("os=''; arch=''; read -r os 2>/dev/null </proc/sys/kernel/ostype; read -r arch 2>/dev/null </proc/sys/kernel/arch; " +
		"if [ -n \"$os\" ] && [ -n \"$arch\" ]; then printf 'uname %s %s\\n' \"$os\" \"$arch\"; else printf 'uname %s\\n' \"$(uname -s -m)\"; fi\n")
	b.WriteString("for d in")
	for _, d := range l.Dirs() {
		b.WriteString(" " + q(d))
	}
	if bk := spec.Backup; bk != nil && bk.Host == h.Name && bk.Dir != "" {
		b.WriteString(" " + q(bk.Dir))
	}
	b.WriteString("; do [ -d \"$d\" ] && printf 'dir %s\\n' \"$d\"; done\n")
	// The data nodes' data directories that hold files: a destroy keeps
	// them, and a partition created again must not lose what they hold.
	var data []string
	for _, n := range spec.Nodes {
		if n.Host == h.Name {
			data = append(data, q(l.Data(n.Name)))
		}
	}
	if len(data) > 0 {
		b.WriteString("for d in " + strings.Join(data, " ") + "; do set -- \"$d\"/*; [ -e \"$1\" ] && printf 'data %s\\n' \"${d##*/}\"; done\n")
	}
	// rs: the redis-server a start would run, found on PATH by the shell
	// alone. A running redis-server whose binary is not rs (a package
	// upgrade replaced it since it started) is "replaced": its version
	// is then read from rs, the one a restart runs.
	b.WriteString("rs=''; ifs=$IFS; IFS=:; for d in $PATH; do [ -x \"${d:-.}/redis-server\" ] && { rs=${d:-.}/redis-server; break; }; done; IFS=$ifs\n")
	// A process's title up to its first newline, NULs dropped by read:
	// "redis-server 10.0.0.1:7000", or romad's path and arguments.
	fmt.Fprintf(&b, "live=''; replaced=''; for p in %s/*.pid; do [ -f \"$p\" ] || continue; pid=''; read -r pid < \"$p\" || true; pid=${pid%%%%[!0-9]*}; "+
		"printf 'pid %%s %%s\\n' \"$p\" \"${pid:-0}\"; [ -n \"$pid\" ] && [ -r /proc/$pid/cmdline ] || continue; "+
		"c=''; IFS= read -r c < /proc/$pid/cmdline 2>/dev/null || true; printf 'cmd %%s %%s\\n' \"$pid\" \"$c\"; "+
		"case $c in *redis*) live=1; if [ -n \"$rs\" ] && [ -e /proc/$pid/exe ] && ! [ /proc/$pid/exe -ef \"$rs\" ]; then printf 'replaced %%s\\n' \"$pid\"; replaced=1; fi;; esac; done\n", q(l.RunDir()))
	b.WriteString("if [ -n \"$rs\" ]; then if [ -n \"$live\" ] && [ -z \"$replaced\" ]; then echo redis-running; else printf 'redis '; \"$rs\" --version 2>/dev/null || echo; fi; fi\n")
	b.WriteString("set --; for f in")
	for _, f := range []string{l.RomadBin(), l.RomadConfig(), l.RomadSecrets()} {
		b.WriteString(" " + q(f))
	}
	b.WriteString("; do [ -f \"$f\" ] && set -- \"$@\" \"$f\"; done\n")
	b.WriteString("if [ $# -gt 0 ]; then sha256sum -- \"$@\"; fi\n")
	if h.Service == cluster.ServiceSystemd {
		b.WriteString("printf 'units '; systemctl show -p Id -p ActiveState -p MainPID")
		for _, t := range targets(spec) {
			if t.Host.Name == h.Name {
				b.WriteString(" " + q(fmt.Sprintf("roma-%s-%s.service", spec.Name, t.Name)))
			}
		}
		b.WriteString(" " + q(fmt.Sprintf("roma-%s-romad.service", spec.Name)))
		b.WriteString(" 2>/dev/null | base64 -w0; echo\n")
	}
	// roma stop's records of what it stopped here, each but of a node
	// that ran since (its log newer than the record).
	fmt.Fprintf(&b, "for f in %s/*.stopped; do [ -f \"$f\" ] || continue; n=${f##*/}; n=${n%%.stopped}; [ %s/\"$n\".log -nt \"$f\" ] && continue; "+
		"r=''; read -r r < \"$f\" || true; printf 'stopped %%s %%s\\n' \"$n\" \"$r\"; done\n", q(l.RunDir()), q(l.LogDir()))
	fmt.Fprintf(&b, "if cd %s 2>/dev/null; then set -- *.conf; if [ -f \"$1\" ]; then echo tar; tar -cf - -- \"$@\" 2>/dev/null; fi; fi\n", q(l.ConfDir()))
	b.WriteString("exit 0\n")
	return b.String()
}

// sumLine is a line of sha256sum's output.
var sumLine = regexp.MustCompile(`^([0-9a-f]{64}) [ *](.+)$`)

func (o Observer) observeHost(ctx context.Context, spec *cluster.Spec, h cluster.Host) *HostState {
	hs := &HostState{Name: h.Name, Dirs: map[string]bool{}, Data: map[string]bool{}, Files: map[string]*FileState{}, Services: map[string]*ServiceState{}, Sums: map[string]string{}}
	t, err := o.Dial(ctx, h)
	if err != nil {
		hs.Err = err.Error()
		return hs
	}
	defer t.Close()
	res, err := t.Run(ctx, hostScript(spec, h))
	if err != nil {
		hs.Err = err.Error()
		return hs
	}
	if res.ExitCode != 0 {
		hs.Err = fmt.Sprintf("observing %s: the observation script exited %d: %s", h.Name, res.ExitCode, firstLine(res.Stderr))
		return hs
	}
	hs.Reachable = true
	addrs := map[string]string{} // node name -> listen address, to match proc titles
	for _, tg := range targets(spec) {
		if tg.Host.Name == h.Name {
			addrs[tg.Name] = net.JoinHostPort(tg.Host.Address, strconv.Itoa(tg.Port))
		}
	}
	out := res.Stdout
	pids := map[string]int{} // service name -> pid in its pidfile
	cmdlines := map[int]string{}
	replaced := map[int]bool{} // pids whose binary is not the installed redis-server
	redisRunning := false
	for len(out) > 0 {
		line := out
		if i := bytes.IndexByte(out, '\n'); i >= 0 {
			line, out = out[:i], out[i+1:]
		} else {
			out = nil
		}
		kind, rest, _ := strings.Cut(string(line), " ")
		switch kind {
		case "uname":
			hs.OS, hs.Arch, _ = strings.Cut(rest, " ")
		case "redis":
			hs.Redis = redisVersion(rest)
		case "redis-running":
			redisRunning = true
		case "replaced":
			if n, err := strconv.Atoi(rest); err == nil {
				replaced[n] = true
			}
		case "dir":
			hs.Dirs[rest] = true
		case "data":
			hs.Data[rest] = true
		case "stopped":
			if name, rec, ok := strings.Cut(rest, " "); ok {
				if hs.Stopped == nil {
					hs.Stopped = map[string]string{}
				}
				hs.Stopped[name] = rec
			}
		case "tar": // the conf files, to the end
			tr := tar.NewReader(bytes.NewReader(out))
			out = nil
			for {
				hdr, err := tr.Next()
				if err != nil {
					break
				}
				content, err := io.ReadAll(tr)
				if err != nil {
					break
				}
				name := strings.TrimSuffix(path.Base(hdr.Name), ".conf")
				sum := sha256.Sum256(content)
				hs.Files[name] = &FileState{Path: path.Join(cluster.LayoutOf(h).ConfDir(), path.Base(hdr.Name)),
					SHA256: hex.EncodeToString(sum[:]), Mode: uint32(hdr.Mode & 0o7777), Content: content}
			}
		case "pid":
			p, pid, _ := strings.Cut(rest, " ")
			n, _ := strconv.Atoi(pid)
			pids[strings.TrimSuffix(path.Base(p), ".pid")] = n
		case "cmd":
			pid, title, _ := strings.Cut(rest, " ")
			if n, err := strconv.Atoi(pid); err == nil {
				cmdlines[n] = title
			}
		case "units":
			data, err := base64.StdEncoding.DecodeString(rest)
			if err == nil {
				parseUnits(hs, spec.Name, data)
			}
		default:
			if m := sumLine.FindStringSubmatch(string(line)); m != nil {
				hs.Sums[m[2]] = m[1]
			}
		}
	}
	if redisRunning && hs.Redis == "" {
		// Observe fills in the version a node on the host reports.
		hs.Redis = RedisRunning
	}
	for name, pid := range pids {
		pidfile := cluster.LayoutOf(h).Pid(name)
		ss := &ServiceState{Pid: pid, Detail: "pidfile " + pidfile}
		cmd, alive := cmdlines[pid]
		if alive {
			ss.Title = cmd
		}
		switch {
		case !alive:
			ss.Detail += fmt.Sprintf(": pid %d is not running", pid)
		case name == "romad":
			ss.Running = strings.Contains(cmd, "romad")
		default:
			ss.Running = strings.Contains(cmd, "redis") &&
				(addrs[name] == "" || strings.Contains(cmd, addrs[name]) || strings.Contains(cmd, name+".conf"))
		}
		if alive && !ss.Running {
			ss.Detail += fmt.Sprintf(": pid %d is not this service's process (stale pidfile)", pid)
		}
		if _, ok := hs.Services[name]; !ok {
			hs.Services[name] = ss
		}
	}
	for _, ss := range hs.Services {
		ss.Replaced = ss.Running && replaced[ss.Pid]
	}
	return hs
}

// redisVersion picks v=7.0.15 out of redis-server --version.
func redisVersion(s string) string {
	for _, f := range strings.Fields(s) {
		if v, ok := strings.CutPrefix(f, "v="); ok {
			return v
		}
	}
	return s
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// parseUnits reads systemctl show output (blocks of Id=, ActiveState=,
// MainPID= separated by blank lines) into service states.
func parseUnits(hs *HostState, clusterName string, data []byte) {
	for _, block := range strings.Split(string(data), "\n\n") {
		props := map[string]string{}
		for _, l := range strings.Split(block, "\n") {
			if k, v, ok := strings.Cut(l, "="); ok {
				props[k] = v
			}
		}
		name := strings.TrimSuffix(strings.TrimPrefix(props["Id"], "roma-"+clusterName+"-"), ".service")
		if name == "" {
			continue
		}
		pid, _ := strconv.Atoi(props["MainPID"])
		hs.Services[name] = &ServiceState{Running: props["ActiveState"] == "active", Pid: pid,
			Detail: "systemd " + props["ActiveState"]}
	}
}
