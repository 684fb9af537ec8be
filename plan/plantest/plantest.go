// Package plantest sets up real clusters in the test lab for the tests of
// plan, apply and the roma command: it writes a roma.hcl for the lab's
// hosts, and, until apply can, bootstraps the cluster it declares.
package plantest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/hclspec"
	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/plan"
	"github.com/roma-redis/roma/redisconf"
	"github.com/roma-redis/roma/redisinfo"
	"github.com/roma-redis/roma/remote"
)

// Password is the cluster password of every lab config. Tests grep every
// output for it.
const Password = "lab-Secret-Pa55word"

// Config writes a roma.hcl for lab l into a new directory and returns the
// directory. It declares hosts db1..dbN of the lab over SSH with the
// process service manager, a placement of partitions over the first
// min(3, N) hosts with two nodes each, and one status node on the last
// host; body is appended (more redis settings, nodes, ...).
func Config(t testing.TB, l *lab.Lab, partitions int, body string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "roma.hcl"), []byte(ConfigText(l, partitions, body)), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// ConfigText is the roma.hcl that Config writes.
func ConfigText(l *lab.Lab, partitions int, body string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "variable \"redis_password\" {\n  sensitive = true\n}\n\n")
	fmt.Fprintf(&b, "cluster \"labtest\" {\n  partitions = %d\n  password   = var.redis_password\n\n  redis {\n    maxmemory        = \"64mb\"\n    maxmemory-policy = \"allkeys-lru\"\n  }\n}\n\n", partitions)
	var names []string
	for _, h := range l.Hosts {
		names = append(names, fmt.Sprintf("%q", h.Name))
		fmt.Fprintf(&b, "host %q {\n  address = %q\n  service = \"process\"\n\n  ssh {\n    user          = \"root\"\n    port          = %d\n    identity_file = %q\n    known_hosts   = %q\n  }\n}\n\n",
			h.Name, h.Address, h.Port, l.IdentityFile, l.KnownHosts)
	}
	n := min(3, len(names))
	fmt.Fprintf(&b, "placement {\n  hosts     = [%s]\n  replicas  = 2\n  base_port = 7000\n}\n\n", strings.Join(names[:n], ", "))
	fmt.Fprintf(&b, "status \"st1\" {\n  host = %q\n  port = 7100\n}\n", l.Hosts[len(l.Hosts)-1].Name)
	b.WriteString(body)
	return b.String()
}

// Load reads the roma.hcl in dir with the lab password.
func Load(t testing.TB, dir string) *cluster.Spec {
	t.Helper()
	cfg, diags := hclspec.Load(dir, hclspec.Options{Vars: []string{"redis_password=" + Password}})
	if diags.HasErrors() {
		t.Fatalf("loading %s: %s", dir, diags.Error())
	}
	return cfg.Spec
}

// Dial opens the transport to a host the way roma does.
func Dial(ctx context.Context, h cluster.Host) (remote.Transport, error) {
	return remote.Dial(ctx, h, remote.DialOptions{})
}

// Bootstrap brings up the cluster spec declares, as apply will: roma's
// directories on every host, every conf file, every node started, and the
// first node of each partition master with the others replicating from
// it. It waits until every replica's link is up.
func Bootstrap(ctx context.Context, spec *cluster.Spec) error {
	ts := map[string]remote.Transport{}
	defer func() {
		for _, t := range ts {
			t.Close()
		}
	}()
	for _, h := range spec.Hosts {
		t, err := Dial(ctx, h)
		if err != nil {
			return err
		}
		ts[h.Name] = t
		for _, d := range cluster.LayoutOf(h).Dirs() {
			if err := t.MkdirAll(ctx, d, 0o755); err != nil {
				return err
			}
		}
	}
	var all []redisconf.Target
	for _, s := range spec.Status {
		all = append(all, redisconf.StatusTarget(spec, s))
	}
	for _, n := range spec.Nodes {
		all = append(all, redisconf.DataTarget(spec, n))
	}
	for _, tg := range all {
		if err := StartNode(ctx, spec, ts[tg.Host.Name], tg); err != nil {
			return err
		}
	}
	for p := 0; p < spec.Partitions; p++ {
		nodes := spec.PartitionNodes(p)
		m := nodes[0]
		if err := Client(spec, m.Host, m.Port).ReplicaOf(ctx, "no", "one").Err(); err != nil {
			return fmt.Errorf("promote %s: %w", m.Name, err)
		}
		mh, _ := spec.Host(m.Host)
		for _, r := range nodes[1:] {
			if err := Client(spec, r.Host, r.Port).ReplicaOf(ctx, mh.Address, fmt.Sprint(m.Port)).Err(); err != nil {
				return fmt.Errorf("replicaof on %s: %w", r.Name, err)
			}
		}
		for _, r := range nodes[1:] {
			if err := WaitLink(ctx, spec, r); err != nil {
				return err
			}
		}
	}
	return nil
}

// StartNode writes target's conf file and starts its redis-server when it
// is not answering yet.
func StartNode(ctx context.Context, spec *cluster.Spec, t remote.Transport, tg redisconf.Target) error {
	l := cluster.LayoutOf(tg.Host)
	if err := t.MkdirAll(ctx, l.Data(tg.Name), 0o750); err != nil {
		return err
	}
	if err := t.WriteFile(ctx, l.Conf(tg.Name), redisconf.Render(spec, tg), 0o600); err != nil {
		return err
	}
	c := Client(spec, tg.Host.Name, tg.Port)
	defer c.Close()
	if c.Ping(ctx).Err() == nil {
		return nil
	}
	res, err := t.Run(ctx, "redis-server "+l.Conf(tg.Name))
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("start %s on %s: exit %d: %s", tg.Name, tg.Host.Name, res.ExitCode, res.Stderr)
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(ctx).Err() != nil {
		if time.Now().After(deadline) {
			log, _ := t.ReadFile(ctx, l.Log(tg.Name))
			return fmt.Errorf("start %s on %s: not answering after 10s; log:\n%s", tg.Name, tg.Host.Name, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// WaitLink waits until replica n's link to its master is up.
func WaitLink(ctx context.Context, spec *cluster.Spec, n cluster.Node) error {
	c := Client(spec, n.Host, n.Port)
	defer c.Close()
	deadline := time.Now().Add(15 * time.Second)
	for {
		info, err := c.Info(ctx, "replication").Result()
		if err == nil && strings.Contains(info, "master_link_status:up") {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("replica %s: link not up after 15s", n.Name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Client returns a client of the node at host:port, with the cluster
// password.
func Client(spec *cluster.Spec, host string, port int) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: spec.Addr(host, port), Password: spec.Password.Reveal(), Protocol: 2,
		DisableIdentity: true, MaxRetries: -1, DialerRetries: 1, DialTimeout: 3 * time.Second,
	})
}

// Missing returns how many of keys data node name lacks, each key holding
// its own name as value (as the lab tests write them).
func Missing(spec *cluster.Spec, name string, keys []string) int {
	c := NodeClient(spec, name)
	defer c.Close()
	missing := 0
	for _, k := range keys {
		if v, err := c.Get(context.Background(), k).Result(); err != nil || v != k {
			missing++
		}
	}
	return missing
}

// Write writes n keys, "prefix:0" on, on data node name, each holding its
// own name (as Missing reads them), and returns them.
func Write(t testing.TB, spec *cluster.Spec, name, prefix string, n int) []string {
	t.Helper()
	c := NodeClient(spec, name)
	defer c.Close()
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("%s:%d", prefix, i)
		if err := c.Set(context.Background(), keys[i], keys[i], 0).Err(); err != nil {
			t.Fatalf("SET %s on %s: %v", keys[i], name, err)
		}
	}
	return keys
}

// Find returns the resource of p at addr, or nil.
func Find(p *plan.Plan, addr string) *plan.Resource {
	for i := range p.Resources {
		if p.Resources[i].Address == addr {
			return &p.Resources[i]
		}
	}
	return nil
}

// Refusals returns the messages of p's refusals of addr.
func Refusals(p *plan.Plan, addr string) []string {
	var out []string
	for _, r := range p.Refusals {
		if r.Address == addr {
			out = append(out, r.Message)
		}
	}
	return out
}

// NodeClient returns a client of data node name.
func NodeClient(spec *cluster.Spec, name string) *redis.Client {
	n, _ := spec.Node(name)
	return Client(spec, n.Host, n.Port)
}

// Main runs a package's tests (call it from TestMain) with a shared lab
// (see lab.Main) and a romad built from this source tree for apply to
// install: it builds cmd/romad into a temporary directory and points
// $ROMA_ROMAD_DIR at it.
func Main(m *testing.M, opts lab.Options) int {
	dir, err := os.MkdirTemp("", "romad-build-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "romad"), "github.com/roma-redis/roma/cmd/romad").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building romad: %v\n%s", err, out)
		return 1
	}
	os.Setenv("ROMA_ROMAD_DIR", dir)
	redis.SetLogger(quietLogger{})
	return lab.Main(m, opts)
}

// quietLogger keeps go-redis from logging dial failures the tests expect.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

// WildcardListeners lists the listening sockets on port that are bound to
// a wildcard address (0.0.0.0 or ::), from /proc/net/tcp{,6}: roma's
// nodes and romad must listen on their host's address only.
func WildcardListeners(port int) []string {
	var out []string
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n")[1:] {
			fs := strings.Fields(l)
			if len(fs) < 4 || fs[3] != "0A" {
				continue
			}
			addr, p, _ := strings.Cut(fs[1], ":")
			pn, _ := strconv.ParseInt(p, 16, 32)
			if int(pn) == port && strings.Trim(addr, "0") == "" {
				out = append(out, f+" "+fs[1])
			}
		}
	}
	return out
}

// ServerPid returns the pid of the redis-server c talks to (named name in
// failures), from INFO's process_id (lab hosts have mount namespaces of
// their own, not pid namespaces); it closes c.
func ServerPid(t testing.TB, c *redis.Client, name string) int {
	t.Helper()
	defer c.Close()
	info, err := c.Info(context.Background(), "server").Result()
	if err != nil {
		t.Fatalf("INFO on %s: %v", name, err)
	}
	pid := redisinfo.Parse(info).Int("process_id")
	if pid == 0 {
		t.Fatalf("no process_id in INFO server of %s", name)
	}
	return int(pid)
}

// NodeAt returns the host and port of spec's data or status node name.
func NodeAt(spec *cluster.Spec, name string) (host string, port int, ok bool) {
	if n, ok := spec.Node(name); ok {
		return n.Host, n.Port, true
	}
	for _, s := range spec.Status {
		if s.Name == name {
			return s.Host, s.Port, true
		}
	}
	return "", 0, false
}

// StartByHand starts data or status node name's redis-server on its host from its
// conf file, with args after it, as an operator or a crash's restart
// would, without roma: a plain redis-server, a master unless args say
// otherwise.
func StartByHand(t testing.TB, spec *cluster.Spec, name string, args ...string) {
	t.Helper()
	host, _, ok := NodeAt(spec, name)
	if !ok {
		t.Fatalf("no node %s", name)
	}
	h, _ := spec.Host(host)
	ctx := context.Background()
	tr, err := Dial(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	cmd := "redis-server " + remote.ShellQuote(cluster.LayoutOf(h).Conf(name))
	for _, a := range args {
		cmd += " " + remote.ShellQuote(a)
	}
	res, err := tr.Run(ctx, cmd)
	if err != nil {
		t.Fatalf("starting %s by hand on %s: %v", name, h.Name, err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("starting %s by hand on %s: exit %d: %s", name, h.Name, res.ExitCode, res.Stderr)
	}
}

// Crash kills the redis-server at host:port of spec (named name in
// failures) with SIGKILL, as a crash would, and waits until it no longer
// answers.
func Crash(t testing.TB, spec *cluster.Spec, host string, port int, name string) {
	t.Helper()
	if err := syscall.Kill(ServerPid(t, Client(spec, host, port), name), syscall.SIGKILL); err != nil {
		t.Fatalf("killing %s: %v", name, err)
	}
	c := Client(spec, host, port)
	defer c.Close()
	for deadline := time.Now().Add(10 * time.Second); c.Ping(context.Background()).Err() == nil; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s still answers 10s after SIGKILL", name)
		}
	}
}
