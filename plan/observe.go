package plan

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconf"
	"github.com/roma-redis/roma/remote"
)

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
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	goLimited := func(fn func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			fn()
		}()
	}
	for _, h := range spec.Hosts {
		goLimited(func() {
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
			ns := observeNode(nctx, spec, t.Name, net.JoinHostPort(t.Host.Address, strconv.Itoa(t.Port)))
			mu.Lock()
			st.Nodes[t.Name] = ns
			mu.Unlock()
		})
	}
	wg.Wait()
	// Nodes roma.hcl no longer declares, found as conf files on a host:
	// observe them too, at the address their file names.
	var extra []*NodeState
	for _, hs := range st.Hosts {
		for name, f := range hs.Files {
			if _, ok := st.Nodes[name]; ok {
				continue
			}
			addr := fileAddr(f.Content)
			if addr == "" {
				continue
			}
			extra = append(extra, &NodeState{Name: name, Addr: addr})
		}
	}
	for _, ns := range extra {
		goLimited(func() {
			nctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			got := observeNode(nctx, spec, ns.Name, ns.Addr)
			mu.Lock()
			st.Nodes[ns.Name] = got
			mu.Unlock()
		})
	}
	wg.Wait()
	st.Took = time.Since(start)
	return st
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

// fileAddr returns the bind:port a rendered file declares.
func fileAddr(conf []byte) string {
	d := parseConf(conf)
	b, p := d["bind"], d["port"]
	if len(b) == 0 || len(p) == 0 {
		return ""
	}
	return net.JoinHostPort(strings.Fields(b[0])[0], p[0])
}

// hostScript gathers, in one round trip, everything plan needs from a host.
func hostScript(spec *cluster.Spec, h cluster.Host) string {
	l := cluster.LayoutOf(h)
	q := shellQuote
	var b strings.Builder
	b.WriteString("LC_ALL=C; export LC_ALL\n")
	b.WriteString("printf 'os %s\\n' \"$(uname -s)\"; printf 'arch %s\\n' \"$(uname -m)\"\n")
	b.WriteString("if v=$(redis-server --version 2>/dev/null); then printf 'redis %s\\n' \"$v\"; fi\n")
	for _, d := range l.Dirs() {
		fmt.Fprintf(&b, "[ -d %s ] && printf 'dir %%s\\n' %s\n", q(d), q(d))
	}
	fmt.Fprintf(&b, "for f in %s/*.conf; do [ -f \"$f\" ] || continue; printf 'file %%s %%s\\n' \"$(stat -c %%a \"$f\")\" \"$f\"; base64 -w0 < \"$f\"; echo; done\n", q(l.ConfDir()))
	fmt.Fprintf(&b, "for p in %s/*.pid; do [ -f \"$p\" ] || continue; pid=$(head -c 32 \"$p\" | tr -dc 0-9); c=-; "+
		"if [ -n \"$pid\" ] && [ -r /proc/$pid/cmdline ]; then c=$(tr '\\0' ' ' < /proc/$pid/cmdline | base64 -w0); fi; "+
		"printf 'pid %%s %%s %%s\\n' \"$p\" \"${pid:-0}\" \"${c:--}\"; done\n", q(l.RunDir()))
	if h.Service == cluster.ServiceSystemd {
		for _, t := range targets(spec) {
			if t.Host.Name != h.Name {
				continue
			}
			unit := fmt.Sprintf("roma-%s-%s.service", spec.Name, t.Name)
			fmt.Fprintf(&b, "printf 'unit %%s %%s\\n' %s \"$(systemctl show -p ActiveState -p MainPID %s 2>/dev/null | tr '\\n' ' ')\"\n", q(t.Name), q(unit))
		}
	}
	for _, f := range []string{l.RomadBin(), l.RomadConfig(), l.RomadSecrets()} {
		fmt.Fprintf(&b, "[ -f %s ] && printf 'sum %%s %%s\\n' %s \"$(sha256sum < %s | cut -d' ' -f1)\"\n", q(f), q(f), q(f))
	}
	if h.Service == cluster.ServiceSystemd {
		unit := fmt.Sprintf("roma-%s-romad.service", spec.Name)
		fmt.Fprintf(&b, "printf 'unit %%s %%s\\n' romad \"$(systemctl show -p ActiveState -p MainPID %s 2>/dev/null | tr '\\n' ' ')\"\n", q(unit))
	}
	b.WriteString("exit 0\n")
	return b.String()
}

func (o Observer) observeHost(ctx context.Context, spec *cluster.Spec, h cluster.Host) *HostState {
	hs := &HostState{Name: h.Name, Dirs: map[string]bool{}, Files: map[string]*FileState{}, Services: map[string]*ServiceState{}, Sums: map[string]string{}}
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
	sc := bufio.NewScanner(bytes.NewReader(res.Stdout))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		kind, rest, _ := strings.Cut(sc.Text(), " ")
		switch kind {
		case "os":
			hs.OS = rest
		case "arch":
			hs.Arch = rest
		case "redis":
			hs.Redis = redisVersion(rest)
		case "dir":
			hs.Dirs[rest] = true
		case "file":
			mode, p, _ := strings.Cut(rest, " ")
			if !sc.Scan() {
				break
			}
			data, err := base64.StdEncoding.DecodeString(sc.Text())
			if err != nil {
				continue
			}
			m, _ := strconv.ParseUint(mode, 8, 32)
			name := strings.TrimSuffix(path.Base(p), ".conf")
			sum := sha256.Sum256(data)
			hs.Files[name] = &FileState{Path: p, SHA256: hex.EncodeToString(sum[:]), Mode: uint32(m), Content: data}
		case "pid":
			f := strings.Fields(rest)
			if len(f) != 3 {
				continue
			}
			name := strings.TrimSuffix(path.Base(f[0]), ".pid")
			pid, _ := strconv.Atoi(f[1])
			ss := &ServiceState{Pid: pid, Detail: "pidfile " + f[0]}
			if f[2] != "-" {
				cmd, _ := base64.StdEncoding.DecodeString(f[2])
				if name == "romad" {
					ss.Running = strings.Contains(string(cmd), "romad")
				} else {
					ss.Running = strings.Contains(string(cmd), "redis") &&
						(addrs[name] == "" || strings.Contains(string(cmd), addrs[name]) || strings.Contains(string(cmd), name+".conf"))
				}
				if !ss.Running {
					ss.Detail += fmt.Sprintf(": pid %d is not this service's process (stale pidfile)", pid)
				}
			} else {
				ss.Detail += fmt.Sprintf(": pid %d is not running", pid)
			}
			hs.Services[name] = ss
		case "sum":
			p, sum, _ := strings.Cut(rest, " ")
			hs.Sums[p] = sum
		case "unit":
			name, props, _ := strings.Cut(rest, " ")
			ss := &ServiceState{Detail: "systemd " + strings.TrimSpace(props)}
			for _, kv := range strings.Fields(props) {
				k, v, _ := strings.Cut(kv, "=")
				switch k {
				case "ActiveState":
					ss.Running = v == "active"
				case "MainPID":
					ss.Pid, _ = strconv.Atoi(v)
				}
			}
			hs.Services[name] = ss
		}
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

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// parseConf reads a redis.conf into directive -> argument lines, each line
// a space-joined list of its (unquoted) arguments.
func parseConf(data []byte) map[string][]string {
	out := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		args := splitArgs(line)
		if len(args) == 0 {
			continue
		}
		k := strings.ToLower(args[0])
		out[k] = append(out[k], strings.Join(args[1:], " "))
	}
	return out
}

// splitArgs splits a redis.conf line as Redis does (sdssplitargs), for the
// quoting Render produces: "..." with backslash escapes, and '...'.
func splitArgs(line string) []string {
	var out []string
	i := 0
	for i < len(line) {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			break
		}
		var b strings.Builder
		switch line[i] {
		case '"':
			i++
			for i < len(line) && line[i] != '"' {
				if line[i] == '\\' && i+1 < len(line) {
					i++
					switch line[i] {
					case 'n':
						b.WriteByte('\n')
					case 'r':
						b.WriteByte('\r')
					case 't':
						b.WriteByte('\t')
					case 'x':
						if i+2 < len(line) {
							if v, err := strconv.ParseUint(line[i+1:i+3], 16, 8); err == nil {
								b.WriteByte(byte(v))
								i += 2
								break
							}
						}
						b.WriteByte('x')
					default:
						b.WriteByte(line[i])
					}
				} else {
					b.WriteByte(line[i])
				}
				i++
			}
			i++
		case '\'':
			i++
			for i < len(line) && line[i] != '\'' {
				b.WriteByte(line[i])
				i++
			}
			i++
		default:
			for i < len(line) && line[i] != ' ' && line[i] != '\t' {
				b.WriteByte(line[i])
				i++
			}
		}
		out = append(out, b.String())
	}
	return out
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
