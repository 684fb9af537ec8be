package redisconf

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/roma-redis/roma/cluster"
)

// Kinds of node a file is rendered for.
const (
	KindData   = "data"
	KindStatus = "status"
)

// HeaderMarker starts the first line of every file roma renders. A file
// under root/conf without it is not roma's and is never touched.
const HeaderMarker = "# Managed by roma."

// Meta is what a rendered file says about itself in its header, so that a
// plan can tell which node, partition layout and hash function a live file
// was rendered for without any state kept elsewhere.
type Meta struct {
	Cluster    string
	Kind       string // KindData or KindStatus
	Node       string
	Partition  int // data nodes only
	Partitions int
	Hash       string
	Sum        string // digest of the body roma wrote; differs once edited by hand
	// Sensitive names the directives whose values came from sensitive
	// variables when roma wrote the file (the always secret ones aside,
	// see Secret): a plan that drops one from roma.hcl must still not
	// show the value the file holds.
	Sensitive []string
}

// FileSensitive reports whether the rendered file's header (ParseMeta)
// marks directive name as sensitive, or the directive is always secret.
func (m Meta) FileSensitive(name string) bool {
	return Secret(name) || slices.Contains(m.Sensitive, name)
}

// Target is one node to render: a data node or a status node.
type Target struct {
	Kind      string
	Name      string
	Host      cluster.Host
	Port      int
	Partition int
	Settings  cluster.Settings // the node's effective settings (data nodes)
}

// DataTarget returns the render target of data node n.
func DataTarget(s *cluster.Spec, n cluster.Node) Target {
	h, _ := s.Host(n.Host)
	return Target{Kind: KindData, Name: n.Name, Host: h, Port: n.Port, Partition: n.Partition, Settings: n.Redis}
}

// StatusTarget returns the render target of status node n.
func StatusTarget(s *cluster.Spec, n cluster.StatusNode) Target {
	h, _ := s.Host(n.Host)
	return Target{Kind: KindStatus, Name: n.Name, Host: h, Port: n.Port, Partition: -1}
}

// statusSettings are the settings of every status node: the epoch it holds
// must survive a restart, so every write is fsynced to the append-only file.
var statusSettings = cluster.Settings{
	"appendonly":  {Values: []string{"yes"}},
	"appendfsync": {Values: []string{"always"}},
	"save":        {Values: []string{""}},
}

// Desired returns the settings a target's file declares, managed ones
// included, keyed by directive. Values of secrets are marked sensitive.
func Desired(s *cluster.Spec, t Target) cluster.Settings {
	l := cluster.LayoutOf(t.Host)
	out := cluster.Settings{}
	set := func(k string, v ...string) { out[k] = cluster.Setting{Values: v} }
	set("port", strconv.Itoa(t.Port))
	set("bind", t.Host.Address)
	// Replicas announce the declared address, so a master lists them as
	// the rest of the cluster knows them (FAILOVER TO, ROLE, INFO).
	set("replica-announce-ip", t.Host.Address)
	set("protected-mode", "yes")
	set("dir", l.Data(t.Name))
	set("dbfilename", "dump.rdb")
	set("pidfile", l.Pid(t.Name))
	set("logfile", l.Log(t.Name))
	if t.Host.Service == cluster.ServiceSystemd {
		set("daemonize", "no")
		set("supervised", "systemd")
	} else {
		set("daemonize", "yes")
		set("supervised", "no")
	}
	if pw := s.Password.Reveal(); pw != "" {
		out["requirepass"] = cluster.Setting{Values: []string{pw}, Sensitive: true}
		out["masterauth"] = cluster.Setting{Values: []string{pw}, Sensitive: true}
	}
	extra := t.Settings
	if t.Kind == KindStatus {
		extra = statusSettings
	} else {
		// A full sync waits 2 to 4 seconds (Redis checks once a
		// second) before the master sends its data: a master that
		// restarted within down_after, empty or from an older dataset,
		// would otherwise replace its replicas' data, the only copy of
		// its latest writes, before romad promotes one of them (see
		// romad's restartedBehind). Redis's default is 5s; partial
		// resyncs, as after a failover or a restart that saved, do
		// not wait.
		set("repl-diskless-sync-delay", "3")
	}
	for k, v := range extra {
		out[k] = v
	}
	if s.Password.Previous().IsSet() {
		// A rotation: requirepass holds one password, the default user's
		// ACL line both (as hashes), so that a node restarted before the
		// rotation ends still accepts clients not yet given the new one.
		delete(out, "requirepass")
		u := out["user"]
		u.Values = append(append([]string(nil), u.Values...), DefaultUserRule(s.Password))
		u.Sensitive = true
		out["user"] = u
	}
	return out
}

// DefaultUserRule is the ACL rule of the default user while pw is being
// rotated: every command, key and channel, with pw and the password it
// replaces, given as their SHA-256 (as ACL SETUSER's #<hash> takes it), so
// that the file holds neither in the clear. It starts with "default ".
func DefaultUserRule(pw cluster.Secret) string {
	r := "default on"
	for _, p := range []cluster.Secret{pw, pw.Previous()} {
		if p.IsSet() {
			r += " #" + PasswordHash(p.Reveal())
		}
	}
	return r + " ~* &* +@all"
}

// PasswordHash is how Redis keeps a password in its ACL: the hex SHA-256.
func PasswordHash(password string) string {
	sum := sha256.Sum256([]byte(password))
	return hex.EncodeToString(sum[:])
}

// managedOrder is the order managed directives appear in a file.
var managedOrder = []string{
	"port", "bind", "replica-announce-ip", "protected-mode", "daemonize", "supervised", "pidfile", "logfile",
	"dir", "dbfilename", "requirepass", "masterauth",
}

// Render returns the redis.conf of target t: deterministic, with a header
// saying roma manages it, managed directives first and then the declared
// ones sorted by name. It never contains replicaof: failover owns
// replication. The file holds the cluster password, so it must be written
// with mode 0600.
func Render(s *cluster.Spec, t Target) []byte {
	var b bytes.Buffer
	if t.Kind == KindData {
		fmt.Fprintf(&b, "# Data node %q of cluster %q, partition %d of %d. Replication is set by roma, never here.\n\n",
			t.Name, s.Name, t.Partition, s.Partitions)
	} else {
		fmt.Fprintf(&b, "# Status node %q of cluster %q.\n\n", t.Name, s.Name)
	}
	want := Desired(s, t)
	done := map[string]bool{}
	for _, k := range managedOrder {
		if v, ok := want[k]; ok {
			writeDirective(&b, k, v.Values)
			done[k] = true
		}
	}
	var rest []string
	for k := range want {
		if !done[k] {
			rest = append(rest, k)
		}
	}
	if len(rest) > 0 {
		sort.Strings(rest)
		b.WriteString("\n# Settings from roma.hcl (and roma's defaults for what it leaves out).\n")
		for _, k := range rest {
			writeDirective(&b, k, want[k].Values)
		}
	}
	meta := Meta{Cluster: s.Name, Kind: t.Kind, Node: t.Name, Partition: t.Partition, Partitions: s.Partitions,
		Hash: s.Hash, Sum: bodySum(b.Bytes())}
	for _, k := range want.Names() {
		if want[k].Sensitive && !Secret(k) {
			meta.Sensitive = append(meta.Sensitive, k)
		}
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "%s Do not edit: roma apply overwrites this file; change roma.hcl instead.\n", HeaderMarker)
	fmt.Fprintf(&out, "# %s\n", meta.line())
	out.Write(b.Bytes())
	return out.Bytes()
}

func bodySum(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:8])
}

// Edited reports whether the body of a rendered file no longer matches
// the digest its header recorded: someone edited it by hand.
func Edited(data []byte) bool {
	m, ok := ParseMeta(data)
	if !ok {
		return false
	}
	body := data
	for i := 0; i < 2; i++ {
		j := bytes.IndexByte(body, '\n')
		if j < 0 {
			return true
		}
		body = body[j+1:]
	}
	return bodySum(body) != m.Sum
}

func writeDirective(b *bytes.Buffer, k string, values []string) {
	for _, v := range values {
		b.WriteString(k)
		args := []string{v}
		if multiArg(k) {
			// The value is the directive's arguments as redis.conf spells
			// them: "FLUSHALL \"\"" is FLUSHALL and the empty name.
			if a, err := SplitArgs(v); err == nil && len(a) > 0 {
				args = a
			}
		}
		for _, a := range args {
			b.WriteByte(' ')
			b.WriteString(Quote(a))
		}
		b.WriteByte('\n')
	}
}

// multiArg reports whether a directive's value is several arguments, so
// that "3600 1" is written as two words rather than one quoted string.
func multiArg(k string) bool {
	switch k {
	case "save", "client-output-buffer-limit", "bind", "rename-command", "loadmodule", "user",
		"latency-tracking-info-percentiles", "oom-score-adj-values":
		return true
	}
	return false
}

// Quote returns s as one redis.conf argument, quoted when it needs to be
// (Redis reads the file with sdssplitargs).
func Quote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"'\\#") && isPrint(s) {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func isPrint(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return false
		}
	}
	return true
}

const metaPrefix = "roma:"

func (m Meta) line() string {
	l := fmt.Sprintf("%scluster=%s kind=%s node=%s partition=%d partitions=%d hash=%s sum=%s",
		metaPrefix, m.Cluster, m.Kind, m.Node, m.Partition, m.Partitions, m.Hash, m.Sum)
	if len(m.Sensitive) > 0 {
		l += " sensitive=" + strings.Join(m.Sensitive, ",")
	}
	return l
}

// FileAddr returns the host:port a rendered file has its node bind (its
// first bind address), or "" when it says neither.
func FileAddr(data []byte) string {
	d := Parse(data)
	b, p := d["bind"], d["port"]
	if len(b) == 0 || len(p) == 0 || len(strings.Fields(b[0])) == 0 {
		return ""
	}
	return net.JoinHostPort(strings.Fields(b[0])[0], p[0])
}

// Parse reads a redis.conf into directive -> argument lines: a line's one
// argument as it is, or its several arguments space-joined, each quoted
// as Quote does when it must be (as a multi-argument value is written in
// roma.hcl).
func Parse(data []byte) map[string][]string {
	out := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		args, err := SplitArgs(line)
		if err != nil { // Redis refuses the line: kept as its words
			args = strings.Fields(line)
		}
		if len(args) == 0 {
			continue
		}
		k := strings.ToLower(args[0])
		v := strings.Join(args[1:], " ")
		if len(args) > 2 {
			// Several arguments, written back as roma.hcl takes them:
			// rename-command FLUSHALL "" is FLUSHALL "", not "FLUSHALL ".
			q := make([]string, len(args)-1)
			for i, a := range args[1:] {
				q[i] = Quote(a)
			}
			v = strings.Join(q, " ")
		}
		out[k] = append(out[k], v)
	}
	return out
}

// ParseMeta reads the header of a rendered file. ok is false when the file
// is not one roma rendered.
func ParseMeta(data []byte) (m Meta, ok bool) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), HeaderMarker) {
		return Meta{}, false
	}
	if !sc.Scan() {
		return Meta{}, false
	}
	line, found := strings.CutPrefix(sc.Text(), "# "+metaPrefix)
	if !found {
		return Meta{}, false
	}
	m.Partition = -1
	for _, f := range strings.Fields(line) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "cluster":
			m.Cluster = v
		case "kind":
			m.Kind = v
		case "node":
			m.Node = v
		case "partition":
			m.Partition, _ = strconv.Atoi(v)
		case "partitions":
			m.Partitions, _ = strconv.Atoi(v)
		case "hash":
			m.Hash = v
		case "sum":
			m.Sum = v
		case "sensitive":
			m.Sensitive = strings.Split(v, ",")
		}
	}
	return m, m.Cluster != "" && m.Node != ""
}
