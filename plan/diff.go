package plan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"net"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/providers/hash"
	"github.com/roma-redis/roma/redisconf"
	"github.com/roma-redis/roma/status"
)

// Options change how a plan is made.
type Options struct {
	// Targets limits the plan to these resource addresses (and, for a
	// host address, to everything on that host).
	Targets []string
	// Now is the plan's creation time; zero means time.Now.
	Now time.Time
}

// Diff compares the desired spec with the observed state. It is a pure
// function: it reads st and changes nothing.
func Diff(spec *cluster.Spec, st *State, opts Options) *Plan {
	p := &Plan{FormatVersion: FormatVersion, Cluster: spec.Name, Created: opts.Now, Fingerprints: map[string]string{}, Targets: opts.Targets}
	if p.Created.IsZero() {
		p.Created = time.Now().UTC()
	}
	d := &differ{spec: spec, st: st, p: p, orphans: map[string]orphan{}, leaving: map[string]orphan{}, handovers: map[string]string{},
		published: publishedStatus(spec, st), fileParts: map[string]int{}, onPurpose: map[string]status.Stopped{}}
	for _, hs := range st.Hosts {
		for name, raw := range hs.Stopped {
			if name == "romad" {
				name = "romad." + hs.Name
			}
			status.MergeStopped(d.onPurpose, map[string]string{name: raw})
		}
	}
	d.findOrphans()
	for _, h := range spec.Hosts {
		d.host(h)
	}
	d.passwordRefused()
	for _, t := range targets(spec) {
		d.node(t)
	}
	for i := 0; i < spec.Partitions; i++ {
		d.partition(i)
	}
	d.romads()
	d.backup()
	d.deletes()
	d.beyondReach()
	d.strays()
	d.reshard()
	d.foreign()
	d.fingerprints()
	redact(p)
	p.Resources = filterTargets(p.Resources, spec, opts.Targets)
	sort.SliceStable(p.Resources, func(i, j int) bool { return kindOrder(p.Resources[i].Kind) < kindOrder(p.Resources[j].Kind) })
	return p
}

func kindOrder(k string) int {
	switch k {
	case "host":
		return 0
	case "status":
		return 1
	case "node":
		return 2
	case "partition":
		return 3
	case "romad":
		return 4
	case "backup":
		return 5
	}
	return 6
}

type orphan struct {
	host string
	meta redisconf.Meta
	file *FileState
}

type differ struct {
	spec    *cluster.Spec
	st      *State
	p       *Plan
	orphans map[string]orphan // conf files whose node is not declared on that host
	// leaving holds every such file, moved nodes' included (orphans loses
	// those to their Replace), and handovers the leaving masters that hand
	// their partition over, with the node that takes it.
	leaving   map[string]orphan
	handovers map[string]string
	// movingStatus counts the status nodes that move (node).
	movingStatus int
	// published is the status the status nodes hold (highest epoch), or
	// nil; fileParts caches filePartition.
	published *status.Status
	fileParts map[string]int
	// allRefuse: every node observed refuses roma.hcl's password, said
	// once for the cluster rather than once per node and partition.
	allRefuse bool
	// onPurpose: roma stop's records of what it stopped on its hosts
	// (nodes by name, romads as "romad.HOST").
	onPurpose map[string]status.Stopped
}

// allStoppedOnPurpose says whether roma stop stopped every one of nodes
// (a partition that does not run: no drift).
func (d *differ) allStoppedOnPurpose(nodes []cluster.Node) bool {
	for _, n := range nodes {
		if _, ok := d.onPurpose[n.Name]; !ok {
			return false
		}
	}
	return len(nodes) > 0
}

// stoppedOnPurpose returns, for a resource that does not run, what the
// plan says of it when roma stop stopped it ("stopped by roma stop
// --host db2 at ..."), and true; it is no drift.
func (d *differ) stoppedOnPurpose(name string) (string, bool) {
	rec, ok := d.onPurpose[name]
	if !ok {
		return "", false
	}
	return "stopped " + rec.String(), true
}

func (d *differ) add(r Resource) {
	if r.Action == "" {
		r.Action = NoOp
	}
	if r.Action != NoOp {
		d.p.Resources = append(d.p.Resources, r)
	}
}

func (d *differ) note(addr, format string, args ...any) {
	d.p.Notes = append(d.p.Notes, Note{Address: addr, Message: fmt.Sprintf(format, args...)})
}

func (d *differ) findOrphans() {
	declared := map[string]string{} // node name -> host
	for _, t := range targets(d.spec) {
		declared[t.Name] = t.Host.Name
	}
	for _, hn := range sortedKeys(d.st.Hosts) {
		hs := d.st.Hosts[hn]
		for _, name := range sortedKeys(hs.Files) {
			f := hs.Files[name]
			m, ok := redisconf.ParseMeta(f.Content)
			if !ok || m.Cluster != d.spec.Name || declared[name] == hn {
				continue
			}
			d.orphans[name] = orphan{host: hn, meta: m, file: f}
			d.leaving[name] = d.orphans[name]
		}
	}
	// A master observed at the address the published status gives: its
	// host is gone from roma.hcl too (host "": roma cannot reach it).
	if rec := d.published; rec != nil {
		for name := range d.st.Leaving {
			if n, ok := rec.Nodes[name]; ok {
				if _, known := d.leaving[name]; !known {
					d.leaving[name] = orphan{meta: redisconf.Meta{Cluster: d.spec.Name, Kind: redisconf.KindData, Node: name, Partition: n.Partition}}
				}
			}
		}
	}
}

func (d *differ) host(h cluster.Host) {
	addr := "host." + h.Name
	hs := d.st.Hosts[h.Name]
	if hs == nil || !hs.Reachable {
		msg := "not observed"
		if hs != nil && hs.Err != "" {
			msg = hs.Err
		}
		d.p.Unobserved = append(d.p.Unobserved, Note{Address: addr, Message: msg})
		return
	}
	r := Resource{Address: addr, Kind: "host", Name: h.Name, Host: h.Name}
	var missing []string
	for _, dir := range cluster.LayoutOf(h).Dirs() {
		if !hs.Dirs[dir] {
			missing = append(missing, dir)
			r.Changes = append(r.Changes, Change{Attr: "directory", New: dir, OldNull: true})
		}
	}
	switch {
	case len(missing) >= len(cluster.LayoutOf(h).Dirs())-1: // the root alone may exist beforehand
		r.Action = Create
		r.Reasons = append(r.Reasons, "roma's directories do not exist yet under "+h.Root)
	case len(missing) > 0:
		r.Action = Update
		r.Reasons = append(r.Reasons, "directories are missing: "+strings.Join(missing, ", "))
	}
	d.add(r)
}

// passwordRefused sets allRefuse, and says so once for the cluster, when
// more than one node runs and every one that runs refuses roma.hcl's
// password: roma.hcl, or the variables it was given, not the nodes, are
// then what is wrong, and a line per node and per partition would bury
// that.
func (d *differ) passwordRefused() {
	data, stat := 0, 0
	for _, t := range targets(d.spec) {
		ns := d.st.Nodes[t.Name]
		switch {
		case ns != nil && ns.Reachable:
			return // it accepts the password
		case !refusesPassword(ns):
			continue // not running (or its host not observed)
		case t.Kind == redisconf.KindStatus:
			stat++
		default:
			data++
		}
	}
	if data+stat < 2 {
		return
	}
	d.allRefuse = true
	var what []string
	for _, c := range []struct {
		n    int
		kind string
	}{{data, "data node"}, {stat, "status node"}} {
		switch c.n {
		case 0:
		case 1:
			what = append(what, "1 "+c.kind)
		default:
			what = append(what, fmt.Sprintf("%d %ss", c.n, c.kind))
		}
	}
	addr := "cluster." + d.spec.Name
	d.p.Unobserved = append(d.p.Unobserved, Note{Address: addr, Message: fmt.Sprintf(
		"every node running (%s) refuses the cluster password: their state is unknown", strings.Join(what, " and "))})
	d.p.Refusals = append(d.p.Refusals, Note{Address: addr, Message: "every running node runs with another password than roma.hcl's " +
		"(was the password changed in roma.hcl, or a -var, -var-file or ROMA_VAR_ value left out?); " +
		"roma cannot change a password it does not know: give roma.hcl the password the nodes have, or, to change it, that one as previous_password"})
}

// refusesPassword reports whether a node is up but refused the cluster
// password (one with no password at all is observed without one).
func refusesPassword(ns *NodeState) bool {
	return ns != nil && ns.AuthError && !ns.Reachable
}

func addrOf(t redisconf.Target) string {
	return net.JoinHostPort(t.Host.Address, strconv.Itoa(t.Port))
}

func kindOf(t redisconf.Target) string {
	if t.Kind == redisconf.KindStatus {
		return "status"
	}
	return "node"
}

// shown is how a change shows a directive's values: joined, with a user
// rule's passwords redacted (redisconf.Shown).
func shown(k string, values []string) string { return strings.Join(redisconf.Shown(k, values), "; ") }

// passwordsAttr is the attribute of a node's passwords in a plan: its
// default user's, from requirepass or a "user default" line.
const passwordsAttr = "passwords"

// wantPasswords is what every node's default user must accept.
func wantPasswords(s *cluster.Spec) Passwords {
	if !s.Password.IsSet() {
		return Passwords{None: true}
	}
	return Passwords{Current: true, Previous: s.Password.Previous().IsSet()}
}

// passwordLines returns decl (a parsed conf file) with requirepass and the
// default user's "user" lines moved under passwordsAttr, so that a file
// comparison sees a change of passwords as one, not as a restart-only
// "user" directive.
func passwordLines(decl map[string][]string) map[string][]string {
	out := make(map[string][]string, len(decl))
	for k, v := range decl {
		switch k {
		case "requirepass":
			out[passwordsAttr] = append(out[passwordsAttr], "requirepass "+strings.Join(v, " "))
		case "user":
			for _, l := range v {
				if strings.HasPrefix(l, "default ") {
					out[passwordsAttr] = append(out[passwordsAttr], "user "+l)
				} else {
					out[k] = append(out[k], l)
				}
			}
		default:
			out[k] = v
		}
	}
	slices.Sort(out[passwordsAttr]) // map order: the same file, the same lines
	return out
}

// tooFewDatabases refuses a databases setting that leaves out a database
// where node name (ns) holds keys: restarted, Redis would refuse its own
// data file ("Data file was created with a Redis server configured to
// handle more than N databases") and exit. "" when every such database
// stays.
func tooFewDatabases(name string, desired cluster.Settings, ns *NodeState) string {
	n := 16 // Redis's default
	if s, ok := desired["databases"]; ok {
		v, err := strconv.Atoi(redisconf.Normalize("databases", s.Values))
		if err != nil {
			return ""
		}
		n = v
	}
	var out []string
	for _, db := range slices.Sorted(maps.Keys(ns.Databases)) {
		if db >= n && ns.Databases[db] > 0 {
			keys := "keys"
			if ns.Databases[db] == 1 {
				keys = "key"
			}
			out = append(out, fmt.Sprintf("%d (%d %s)", db, ns.Databases[db], keys))
		}
	}
	if len(out) == 0 {
		return ""
	}
	return fmt.Sprintf("%s holds keys in database %s, and with databases = %d Redis would refuse its data file at its next start and exit: "+
		"raise databases, or empty those databases first (FLUSHDB in each)", name, strings.Join(out, ", database "), n)
}

// evicts says what a new maxmemory below what master name holds now does
// to its data, as soon as apply sets it (CONFIG SET, or the restart that
// reads it): an eviction policy deletes keys at once until the data fits,
// and noeviction refuses every write. destructive: keys go. "" when the
// limit does not shrink below the data, or for a replica, which ignores
// maxmemory (replica-ignore-maxmemory) and deletes what its master
// deletes.
func evicts(name string, desired cluster.Settings, ns *NodeState) (why string, destructive bool) {
	if ns == nil || !ns.Reachable || ns.Role != "master" || ns.UsedMemory <= 0 {
		return "", false
	}
	setting, ok := desired["maxmemory"]
	if !ok {
		return "", false
	}
	want, err := strconv.ParseInt(redisconf.Normalize("maxmemory", setting.Values), 10, 64)
	if err != nil || want <= 0 || want >= ns.UsedMemory {
		return "", false
	}
	if live, err := strconv.ParseInt(ns.Config["maxmemory"], 10, 64); err != nil || live != 0 && live <= want {
		return "", false // not lowered: the node already lives under this limit or a lower one
	}
	policy := ns.Config["maxmemory-policy"]
	if p, ok := desired["maxmemory-policy"]; ok {
		policy = redisconf.Normalize("maxmemory-policy", p.Values)
	}
	mib := func(n int64) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB" }
	head := fmt.Sprintf("maxmemory %s is below the %s %s uses now", strings.Join(setting.Values, " "), mib(ns.UsedMemory), name)
	switch {
	case strings.HasPrefix(policy, "allkeys-"):
		return fmt.Sprintf("%s: Redis evicts keys (%s) as soon as it is set, until its data fits: about %d%% of it goes",
			head, policy, 100-100*want/ns.UsedMemory), true
	case strings.HasPrefix(policy, "volatile-"):
		return fmt.Sprintf("%s: Redis evicts keys with an expiry (%s) as soon as it is set, until its data fits, and refuses writes (OOM) if those are not enough",
			head, policy), true
	}
	return fmt.Sprintf("%s: under maxmemory-policy %s Redis evicts nothing, and refuses every write (OOM) until its data is below it",
		head, policy), false
}

// startedElsewise reports whether the server at t's address was not
// started from t's conf file: from another node's file (renamed in
// roma.hcl, or another cluster's on the same host and ports), from one
// roma did not write (started by hand, or under another root), or from
// none at all (by hand or by another tool: roma always starts a node
// from its conf file). node refuses it: restarted with t's file, it
// would come back with another data directory, and its own node would
// be gone from under it; demoted, its data would be.
func (d *differ) startedElsewise(t redisconf.Target) bool {
	ns := d.st.Nodes[t.Name]
	return ns != nil && ns.Reachable && ns.ConfigFile != cluster.LayoutOf(t.Host).Conf(t.Name)
}

// taken returns the observation of t's address when something roma
// cannot ask as t listens there, or nil: a program that is not Redis on
// the port, silent or answering another protocol, while no process of
// t's runs on its host (its pidfile names none), or, for a node that
// moves there (its port changes), anything at all. Started there, t would
// fail to bind. A process of t's that runs and does not answer (paused,
// stuck on a disk) is node's to judge: it is restarted.
func (d *differ) taken(t redisconf.Target) *NodeState {
	ns := d.st.Nodes[t.Name]
	switch {
	case ns == nil:
		return nil
	case ns.Reachable:
		if at := ns.Declared; ns.Addr != addrOf(t) && at != nil && at.Listened {
			return at
		}
		return nil
	case !ns.Listened || ns.AuthError || ns.Addr != addrOf(t):
		return nil
	}
	if s := d.st.Hosts[t.Host.Name].Services[t.Name]; s != nil && s.Running {
		return nil
	}
	return ns
}

// loadingMessage says that node name, loading its dataset, is up but
// cannot be judged yet.
func loadingMessage(name string, ns *NodeState) string {
	return fmt.Sprintf("%s at %s is loading its dataset (%s%% in): its state is known once it has loaded; plan again then",
		name, ns.Addr, strconv.FormatFloat(ns.LoadedPerc, 'f', 0, 64))
}

func (d *differ) node(t redisconf.Target) {
	kind := kindOf(t)
	r := Resource{Address: kind + "." + t.Name, Kind: kind, Name: t.Name, Host: t.Host.Name}
	hs := d.st.Hosts[t.Host.Name]
	ns := d.st.Nodes[t.Name]
	if hs == nil || !hs.Reachable {
		d.p.Unobserved = append(d.p.Unobserved, Note{Address: r.Address, Message: fmt.Sprintf("host %s could not be observed", t.Host.Name)})
		return
	}
	if d.foreignCluster(t) != "" {
		return // another cluster's node: refused (foreign), nothing planned
	}
	if ns != nil && ns.Reachable && ns.Loading {
		// Up, but its data, and with it its role and offset, are not
		// final; a restart would only start its load over.
		d.p.Unobserved = append(d.p.Unobserved, Note{Address: r.Address, Message: loadingMessage(t.Name, ns)})
		return
	}
	if refusesPassword(ns) {
		// Running with a password roma.hcl does not give: roma can neither
		// see the node's state nor change it. Writing a conf file with the
		// new password would only break the node at its next restart.
		if d.allRefuse {
			return // said once, for the cluster (passwordRefused)
		}
		d.p.Unobserved = append(d.p.Unobserved, Note{Address: r.Address, Message: fmt.Sprintf(
			"%s at %s refuses the cluster password: its state is unknown", t.Name, addrOf(t))})
		d.p.Refusals = append(d.p.Refusals, Note{Address: r.Address, Message: fmt.Sprintf(
			"%s at %s runs with another password than roma.hcl's (was the password changed in roma.hcl?); "+
				"roma cannot change a password it does not know: give roma.hcl the password the nodes have, or, to change it, that one as previous_password", t.Name, addrOf(t))})
		return
	}
	want := redisconf.Render(d.spec, t)
	desired := redisconf.Desired(d.spec, t)
	f := hs.Files[t.Name]
	if n, ok := d.spec.Node(t.Name); ok && t.Kind == redisconf.KindData {
		if fp := d.filePartition(n); fp >= 0 && fp != t.Partition {
			// Its keys are partition fp's, and it may be fp's master:
			// a move needs a handover, then a resync in the other
			// partition, with romad's configuration changing under both.
			d.p.Refusals = append(d.p.Refusals, Note{Address: r.Address, Message: fmt.Sprintf(
				"%s moves from partition %d to partition %d: roma cannot move a node between partitions; "+
					"remove it from roma.hcl and apply (a master hands its partition over first), then declare it in partition %d under a new name, or with its data directory emptied",
				t.Name, fp, t.Partition, t.Partition)})
			r.Action = Update
			r.Changes = append(r.Changes, Change{Attr: "partition", Old: strconv.Itoa(fp), New: strconv.Itoa(t.Partition)})
			d.add(r)
			return
		}
	}
	running := ns != nil && ns.Reachable
	if conf := cluster.LayoutOf(t.Host).Conf(t.Name); d.startedElsewise(t) {
		msg := fmt.Sprintf("%s runs from %s, not from %s: the host's root changed in roma.hcl, and roma cannot move a node's files. "+
			"Set root back; to move it, stop the cluster (roma stop, with the roma.hcl that gives the old root), move the directory on %s, then roma apply",
			t.Name, ns.ConfigFile, conf, t.Host.Name)
		switch {
		case ns.ConfigFile == "":
			var keys int64
			for _, n := range ns.Databases {
				keys += n
			}
			msg = fmt.Sprintf("%s is served by a redis-server started without a conf file (by hand, or by another tool; it holds %d keys), not from %s: roma does not take over a server it did not start for this node. "+
				"Give %s a free port, or stop that server",
				addrOf(t), keys, conf, t.Name)
		case path.Base(ns.ConfigFile) != path.Base(conf):
			who := "a redis-server that is not " + t.Name + "'s"
			if m, ok := d.confMeta(hs, ns.ConfigFile); ok {
				who = fmt.Sprintf("node %s of cluster %q", m.Node, m.Cluster)
			}
			msg = fmt.Sprintf("%s is served by %s, started from %s, not from %s: roma does not take over a server it did not start for this node. "+
				"Give %s a free port, or stop that server; to rename a node, remove it from roma.hcl and apply, then declare it under its new name",
				addrOf(t), who, ns.ConfigFile, conf, t.Name)
		}
		d.p.Refusals = append(d.p.Refusals, Note{Address: r.Address, Message: msg})
		return
	}
	if at := d.taken(t); at != nil {
		said := strings.TrimPrefix(at.Err, fmt.Sprintf("node %s at %s: ", t.Name, at.Addr))
		d.p.Refusals = append(d.p.Refusals, Note{Address: r.Address, Message: fmt.Sprintf(
			"%s, where %s is to run, is taken by something roma did not start for it, which does not answer as a Redis node (roma's connection got: %s): %s would not start there. "+
				"Give %s a free port, or stop what listens at %s on %s",
			addrOf(t), t.Name, said, t.Name, t.Name, addrOf(t), t.Host.Name)})
		return
	}
	// moving: it runs at the address its conf file on the host gives, not
	// at roma.hcl's (its port or its host's address changed). It moves by
	// a restart, rolled with its partition, a master handing over first:
	// CONFIG SET port would cut its replicas, romad and clients off.
	moving := running && ns.Addr != addrOf(t)
	movingAttr := func(k string) bool { return moving && (k == "port" || k == "bind" || k == "replica-announce-ip") }
	if o, moved := d.orphans[t.Name]; moved && f == nil {
		r.Action = Replace
		r.Destructive = true
		r.Reasons = append(r.Reasons, fmt.Sprintf("moves from host %s to host %s: the node on %s is deleted and a new, empty one created on %s", o.host, t.Host.Name, o.host, t.Host.Name))
		r.Changes = append(r.Changes, Change{Attr: "host", Old: o.host, New: t.Host.Name})
		r.Steps = []Step{{Op: "delete", Node: t.Name, Target: o.host}, {Op: "write-conf", Node: t.Name}, {Op: "start", Node: t.Name}}
		delete(d.orphans, t.Name)
		d.add(r)
		return
	}
	if f == nil && !running {
		r.Action = Create
		r.Reasons = append(r.Reasons, "not on "+t.Host.Name+" yet")
		r.Changes = append(r.Changes, Change{Attr: "address", New: addrOf(t), OldNull: true})
		if t.Kind == redisconf.KindData {
			r.Changes = append(r.Changes, Change{Attr: "partition", New: strconv.Itoa(t.Partition), OldNull: true})
		}
		for _, k := range desired.Names() {
			v := desired[k]
			r.Changes = append(r.Changes, Change{Attr: k, New: shown(k, v.Values), OldNull: true, Sensitive: v.Sensitive || redisconf.Secret(k)})
		}
		r.Steps = []Step{{Op: "write-conf", Node: t.Name}, {Op: "start", Node: t.Name}}
		d.add(r)
		return
	}
	changes := map[string]*Change{}
	var order []string
	put := func(c Change) {
		if old, ok := changes[c.Attr]; ok {
			old.Drift = old.Drift || c.Drift
			old.Restart = old.Restart || c.Restart
			return
		}
		changes[c.Attr] = &c
		order = append(order, c.Attr)
	}
	fileDecl := map[string][]string{}
	var fileMeta redisconf.Meta // which of the file's directives are sensitive
	needRestart := false
	fileCfgSet := false // a runtime directive changes in the file: CONFIG SET it too
	if running && !moving && ns.Passwords != nil {
		// The default user's passwords, from its ACL: set at runtime
		// (ACL SETUSER, or CONFIG SET requirepass), never by a restart.
		if have, want := *ns.Passwords, wantPasswords(d.spec); have != want {
			c := Change{Attr: passwordsAttr, Old: have.String(), New: want.String()}
			if have.None {
				c.Drift, r.Drift = true, true
				r.Reasons = append(r.Reasons, "the node does not accept the cluster password: it has no password at all")
			}
			if want.Previous && !have.Current {
				r.Reasons = append(r.Reasons, "a password rotation: apply adds roma.hcl's password; the previous one stays accepted until previous_password is removed from roma.hcl")
			}
			if want.Previous && have.Current && !have.Previous {
				r.Reasons = append(r.Reasons, "its default user no longer accepts the previous password while roma.hcl still gives it: apply adds it back")
			}
			if have.Others > 0 {
				if want.Previous {
					// Not a rotation's leftover: that one is declared.
					c.Drift, r.Drift = true, true
				}
				r.Reasons = append(r.Reasons, "its default user accepts passwords roma.hcl does not give (a rotation's previous password, or one added by hand): apply removes them")
			}
			put(c)
			r.Steps = append(r.Steps, Step{Op: "passwords", Node: t.Name})
		}
	}
	if f == nil {
		r.Drift = true
		r.Reasons = append(r.Reasons, "its conf file "+cluster.LayoutOf(t.Host).Conf(t.Name)+" is missing but the node is running")
		r.Steps = append(r.Steps, Step{Op: "write-conf", Node: t.Name})
	} else {
		fileDecl = redisconf.Parse(f.Content)
		fileMeta, _ = redisconf.ParseMeta(f.Content)
		if !bytes.Equal(f.Content, want) {
			edited := redisconf.Edited(f.Content)
			if edited {
				r.Drift = true
				r.Reasons = append(r.Reasons, "its conf file was edited outside roma")
			}
			wantDecl := passwordLines(redisconf.Parse(want))
			haveDecl := passwordLines(fileDecl)
			keys := map[string]bool{}
			for k := range wantDecl {
				keys[k] = true
			}
			for k := range haveDecl {
				keys[k] = true
			}
			for _, k := range sortedKeys(keys) {
				w, have := wantDecl[k], haveDecl[k]
				if redisconf.Normalize(k, w) == redisconf.Normalize(k, have) {
					continue
				}
				if k == passwordsAttr {
					// Set at runtime by the passwords step when the
					// node's ACL differs (above); the file only keeps them
					// across restarts.
					put(Change{Attr: k, Old: cluster.Redacted, New: cluster.Redacted, Sensitive: true, Drift: edited})
					continue
				}
				c := Change{Attr: k, Old: shown(k, have), New: shown(k, w), OldNull: have == nil, NewNull: w == nil,
					Sensitive: desired[k].Sensitive || fileMeta.FileSensitive(k), Drift: edited, Restart: !redisconf.Runtime(k) || movingAttr(k)}
				if w == nil {
					// A directive dropped from the file keeps its value in
					// the running server until it restarts, unless roma
					// knows the default to set back.
					if def, ok := redisconf.Watched[k]; ok {
						w = []string{def}
					} else {
						c.Restart = true
					}
				}
				if !c.Restart && running {
					if live, seen := ns.Config[k]; !seen || !redisconf.Same(k, w, live) {
						fileCfgSet = true
					}
				}
				// A restart-only directive needs a restart unless the
				// running server already has the wanted value.
				if c.Restart {
					live, seen := "", false
					if running {
						live, seen = ns.Config[k]
					}
					if !seen || !redisconf.Same(k, w, live) {
						needRestart = true
					}
				}
				put(c)
			}
			if len(changes) == 0 && !edited {
				r.Reasons = append(r.Reasons, "its conf file's header changed")
			}
			r.Steps = append(r.Steps, Step{Op: "write-conf", Node: t.Name})
		}
		if f.Mode&0o077 != 0 {
			r.Drift = true
			put(Change{Attr: "file mode", Old: fmt.Sprintf("%04o", f.Mode), New: "0600", Drift: true})
			if len(r.Steps) == 0 {
				r.Steps = append(r.Steps, Step{Op: "write-conf", Node: t.Name})
			}
		}
	}
	if running {
		cfgSet := fileCfgSet
		for _, k := range sortedKeys(ns.Config) {
			if k == "requirepass" && ns.Passwords != nil {
				continue // the ACL says more (passwords, above)
			}
			live := ns.Config[k]
			var w []string
			if v, ok := desired[k]; ok {
				w = v.Values
			} else if def, ok := redisconf.Watched[k]; ok {
				w = []string{def}
			} else {
				continue
			}
			if redisconf.Same(k, w, live) {
				continue
			}
			// Drift when the live value is not what the file on the
			// host says (someone ran CONFIG SET), not just an
			// edit of roma.hcl waiting to be applied. A setting the
			// file leaves out, of unknown default, is such an edit
			// (a restart-only one cannot even be CONFIG SET), unless
			// the file itself is missing.
			fileVal := fileDecl[k]
			if fileVal == nil {
				if def, ok := redisconf.Watched[k]; ok {
					fileVal = []string{def}
				}
			}
			drift := f == nil
			if fileVal != nil {
				drift = !redisconf.Same(k, fileVal, live)
			}
			c := Change{Attr: k, Old: live, New: shown(k, w), Sensitive: desired[k].Sensitive || fileMeta.FileSensitive(k),
				Drift: drift, Restart: !redisconf.Runtime(k) || movingAttr(k)}
			if drift {
				r.Drift = true
			}
			if c.Restart {
				needRestart = true
			} else {
				cfgSet = true
			}
			if old, ok := changes[k]; ok {
				if drift {
					old.Old, old.OldNull, old.Drift = live, false, true
				}
				continue
			}
			put(c)
		}
		if cfgSet && !moving { // a move's restart reads every setting from the file
			r.Steps = append(r.Steps, Step{Op: "config-set", Node: t.Name})
		}
		if hasDrift(changes) {
			r.Reasons = append(r.Reasons, "settings were changed outside roma (CONFIG SET)")
		}
	}
	if ns != nil && ns.AuthError && ns.Passwords == nil {
		r.Drift = true
		put(Change{Attr: "requirepass", Old: "(sensitive)", New: "(sensitive)", Sensitive: true, Drift: true})
		r.Reasons = append(r.Reasons, "the node does not accept the cluster password")
		r.Steps = append(r.Steps, Step{Op: "config-set", Node: t.Name})
	}
	upgraded := false
	if ss := hs.Services[t.Name]; running && !moving && ss != nil && ss.Replaced && hs.Redis != "" && hs.Redis != RedisRunning {
		// A package upgrade replaced the binary under the running node:
		// a restart, rolled as any other, runs the installed one.
		if older(hs.Redis, ns.Version) {
			d.p.Refusals = append(d.p.Refusals, Note{Address: r.Address, Message: fmt.Sprintf(
				"%s runs Redis %s, but the redis-server installed on %s is %s, older: restarted on it, the node may not read its own data (a newer RDB or AOF format). "+
					"roma does not downgrade Redis: install Redis %s or newer on %s again", t.Name, ns.Version, t.Host.Name, hs.Redis, ns.Version, t.Host.Name)})
		} else {
			put(Change{Attr: "redis-server", Old: ns.Version + " (its binary replaced)", New: hs.Redis + " (installed)", Restart: true})
			upgraded = true
			r.Reasons = append(r.Reasons, fmt.Sprintf("the redis-server binary it runs was replaced on %s since it started (a package upgrade): restarted, it runs the installed Redis %s; apply rolls it with its partition", t.Host.Name, hs.Redis))
		}
	}
	for _, k := range order {
		r.Changes = append(r.Changes, *changes[k])
	}
	if running {
		if msg := tooFewDatabases(t.Name, desired, ns); msg != "" {
			d.p.Refusals = append(d.p.Refusals, Note{Address: r.Address, Message: msg})
		}
	}
	if why, destructive := evicts(t.Name, desired, ns); why != "" {
		r.Reasons = append(r.Reasons, why)
		r.Destructive = r.Destructive || destructive
	}
	switch {
	case !running:
		r.Action = Repair
		otherDrift := r.Drift // its conf file edited by hand, say
		r.Drift = true
		why, todo := "stopped", ": start it"
		if s := hs.Services[t.Name]; s != nil && s.Running {
			why, todo = fmt.Sprintf("its process (pid %d) runs but does not answer at %s", s.Pid, addrOf(t)), ": restart it"
			if ns != nil && ns.Err != "" {
				// What it said: a refused PING (MISCONF: it cannot save)
				// is no silence.
				said := strings.TrimPrefix(ns.Err, fmt.Sprintf("node %s at %s: ", t.Name, ns.Addr))
				if strings.HasPrefix(said, "MISCONF ") {
					said, _, _ = strings.Cut(said, ". ") // its first sentence says it
					if t.Kind == redisconf.KindData {
						// Redis will not exit without saving: apply's
						// restart of it is no plain one (apply.stopUnsaving).
						todo = fmt.Sprintf(": it cannot save its data (see %s on %s). apply restarts it without saving if another node is its partition's master, which holds its data; if none is, apply leaves it running: fix what stops it saving, and have it save (BGSAVE)",
							cluster.LayoutOf(t.Host).Log(t.Name), t.Host.Name)
					}
				}
				why += ": " + said
			}
			r.Steps = append(r.Steps, Step{Op: "restart", Node: t.Name})
		} else {
			r.Steps = append(r.Steps, Step{Op: "start", Node: t.Name})
		}
		if ns != nil && ns.Err != "" && why == "stopped" {
			why = "stopped (" + ns.Err + ")"
		}
		drift := true
		if said, ok := d.stoppedOnPurpose(t.Name); ok && todo == ": start it" {
			// roma stop stopped it: no drift, and its log's end is
			// that stop's.
			why, drift, r.Drift = said, false, otherDrift
			todo = ": start it (roma start, or apply)"
		} else if w := hs.LastWords[t.Name]; w != "" && todo == ": start it" {
			// It crashed: why, which a start may meet again.
			why += fmt.Sprintf("; its log (%s on %s) %s", cluster.LayoutOf(t.Host).Log(t.Name), t.Host.Name, w)
		}
		r.Reasons = append([]string{why + todo}, r.Reasons...)
		r.Changes = append([]Change{{Attr: "running", Old: "false", New: "true", Drift: drift}}, r.Changes...)
	case moving && t.Kind == redisconf.KindStatus:
		r.Action = Restart
		r.Reasons = append(r.Reasons, fmt.Sprintf("it moves from %s to %s: restarted there, one status node at a time", ns.Addr, addrOf(t)))
		r.Steps = append(r.Steps, Step{Op: "restart", Node: t.Name, Addr: ns.Addr})
		d.movingStatus++
		if left := len(d.spec.Status) - d.movingStatus; left == len(d.spec.Status)/2 { // the first below a majority
			d.note(r.Address, "%d of the %d status nodes move: romad, which apply restarts with the new addresses last, and clients of the old roma.hcl lose their majority meanwhile and take the cluster as in HALT; move fewer than half of them per apply to avoid it", d.movingStatus, len(d.spec.Status))
		}
	case moving:
		r.Action = Restart
		r.Reasons = append(r.Reasons, fmt.Sprintf("it moves from %s to %s: restarted there, rolled with its partition (a master hands over to a replica first)", ns.Addr, addrOf(t)))
		r.Steps = append(r.Steps, Step{Op: "restart", Node: t.Name, Addr: ns.Addr})
	case needRestart || upgraded:
		r.Action = Restart
		if needRestart {
			r.Reasons = append(r.Reasons, "some changed settings take effect only after a restart; apply rolls it with its partition")
		}
		r.Steps = append(r.Steps, Step{Op: "restart", Node: t.Name})
	case len(r.Changes) > 0 || len(r.Steps) > 0:
		r.Action = Update
		if r.Drift {
			r.Action = Repair
		}
	}
	d.add(r)
}

func hasDrift(m map[string]*Change) bool {
	for _, c := range m {
		if c.Drift {
			return true
		}
	}
	return false
}

func (d *differ) partition(i int) {
	addr := "partition." + strconv.Itoa(i)
	nodes := d.partitionNodes(i)
	r := Resource{Address: addr, Kind: "partition", Name: strconv.Itoa(i)}
	type live struct {
		n  cluster.Node
		ns *NodeState
	}
	var running, masters []live
	unobserved := false
	for _, n := range nodes {
		hs := d.st.Hosts[n.Host]
		if hs == nil || !hs.Reachable {
			unobserved = true
		}
		ns := d.st.Nodes[n.Name]
		if ns != nil && ns.Reachable && ns.Loading {
			// Its data and role are not final: which node leads, and
			// with what, is judged once it has loaded.
			d.p.Unobserved = append(d.p.Unobserved, Note{Address: addr, Message: fmt.Sprintf(
				"%s is loading its dataset: the roles in partition %d are known once it has loaded", n.Name, i)})
			return
		}
		if refusesPassword(ns) {
			// Up, but its role is unknown: nothing can be judged, least of
			// all that the partition has no master.
			if d.allRefuse {
				return
			}
			d.p.Unobserved = append(d.p.Unobserved, Note{Address: addr, Message: fmt.Sprintf(
				"%s refuses the cluster password: the roles in partition %d are unknown", n.Name, i)})
			return
		}
		if d.startedElsewise(redisconf.DataTarget(d.spec, n)) {
			return // not roma's node: node refuses the plan, and says why
		}
		if ns == nil || !ns.Reachable {
			continue
		}
		running = append(running, live{n, ns})
		if ns.Role == "master" {
			masters = append(masters, live{n, ns})
		}
	}
	// Where a node runs now: a node that moves (see node) runs at its old
	// address until apply restarts it.
	nodeAddr := func(n cluster.Node) string {
		if ns := d.st.Nodes[n.Name]; ns != nil && ns.Reachable && ns.Addr != "" {
			return ns.Addr
		}
		return d.spec.Addr(n.Host, n.Port)
	}
	name := func(a string) string {
		for _, n := range d.spec.Nodes {
			if nodeAddr(n) == a {
				return n.Name
			}
		}
		return a
	}
	leaving := d.leavingMaster(i)
	handover := false
	pickAtApply := false // the master is known once apply has started the nodes
	lastStopped := d.stoppedLastMaster(i, nodes)
	var master cluster.Node
	switch {
	case len(running) == 0 && unobserved:
		return
	case len(masters) == 0 && leaving != nil:
		// Its master leaves roma.hcl (removed, or moved to another host)
		// and still runs: promoting another node beside it would give the
		// partition two masters, and lose what the old one takes until
		// it stops. It hands over instead, as a rolling restart does.
		var best *live
		for k, l := range running {
			if l.ns.Role != "master" && l.ns.MasterAddr == leaving.Addr && l.ns.LinkUp && (best == nil || l.ns.Offset > best.ns.Offset) {
				best = &running[k]
			}
		}
		why := "is no longer in roma.hcl"
		if _, moved := d.spec.Node(leaving.Name); moved {
			why = "moves to another host"
		}
		hostGone := d.leaving[leaving.Name].host == ""
		if hostGone {
			why = "is no longer in roma.hcl, nor is its host"
		}
		if best == nil {
			d.p.Refusals = append(d.p.Refusals, Note{Address: addr, Message: fmt.Sprintf(
				"the master of partition %d, %s at %s, %s, but no node roma.hcl keeps in partition %d is an in-sync replica of it to hand over to: "+
					"its keys would be lost. Keep it in roma.hcl (on its host) until another node of partition %d replicates it (roma apply), then plan again",
				i, leaving.Name, leaving.Addr, why, i, i)})
			return
		}
		master, handover = best.n, true
		d.handovers[leaving.Name] = master.Name
		r.Action = Update
		after := fmt.Sprintf("and %s is stopped after", leaving.Name)
		if hostGone {
			after = fmt.Sprintf("roma cannot reach %s's host to stop it, so it stays a replica of %s until you stop it", leaving.Addr, master.Name)
		}
		r.Reasons = append(r.Reasons, fmt.Sprintf("its master %s %s: %s takes over first (FAILOVER: writes pause until %s has them all, then the two swap roles); %s",
			leaving.Name, why, master.Name, master.Name, after))
		r.Steps = append(r.Steps, Step{Op: "handover", Node: leaving.Name, Target: master.Name, Addr: leaving.Addr})
		r.Changes = append(r.Changes, Change{Attr: "master", Old: leaving.Name, New: master.Name})
	case lastStopped >= 0:
		// The partition's last master, as romad last published it (its
		// master, or the one it lost at HALT), is stopped: a reboot, a
		// power cut, roma stop, a crash with no replica fit to take
		// over. Its data is the newest. The others, running or not, may
		// hold older data: a replica that was down meanwhile, or one
		// that came back on its own as master. Making one of them master
		// would wipe from it the writes the others missed. apply starts
		// it and picks again once the nodes run (Step.Pick), as roma
		// start does.
		master = nodes[lastStopped]
		r.Action = Repair
		r.Drift = true
		if len(running) == 0 {
			r.Drift = !d.allStoppedOnPurpose(nodes)
			r.Reasons = append(r.Reasons, fmt.Sprintf("no node of partition %d is running: start them; %s becomes master: it was the last master, as romad last published, so it has the newest data (%s)", i, master.Name, unlessEmpty))
		} else {
			stopped := "is stopped"
			if hs := d.st.Hosts[master.Host]; hs != nil && hs.Services[master.Name] != nil && hs.Services[master.Name].Running {
				stopped = "runs but does not answer"
			}
			r.Reasons = append(r.Reasons, fmt.Sprintf("%s, the last master of partition %d as romad last published, %s: start it and make it master again, as it has the newest data (%s)", master.Name, i, stopped, unlessEmpty))
		}
		for _, m := range masters {
			r.Destructive = true
			r.Reasons = append(r.Reasons, fmt.Sprintf("%s runs as master on data older than %s's: it is demoted, and writes it took alone are lost", m.n.Name, master.Name))
		}
		r.Steps = append(r.Steps, Step{Op: "promote", Node: master.Name, Pick: true})
	case len(running) == 0 && !d.anyFile(nodes) && !d.anyData(nodes):
		master = nodes[0]
		r.Action = Create
		r.Reasons = append(r.Reasons, fmt.Sprintf("bootstrap: %s becomes master, the others replicate from it", master.Name))
		r.Steps = append(r.Steps, Step{Op: "promote", Node: master.Name})
	case len(running) == 0 && !d.anyFile(nodes):
		// No conf file, but data from before (roma destroy keeps the
		// data directories): the node with the newest data leads, as
		// in a restart, or the others would lose what only it holds.
		master = nodes[0]
		r.Action = Create
		if k := slices.IndexFunc(nodes, func(n cluster.Node) bool { return n.Name == d.published.LastMaster(i) }); k >= 0 {
			master = nodes[k]
			r.Reasons = append(r.Reasons, fmt.Sprintf("bootstrap over data from before (its nodes' data directories hold files): %s becomes master, "+
				"the last master romad published, so it has the newest data (%s)", master.Name, unlessEmpty))
		} else {
			pickAtApply = true
			r.Reasons = append(r.Reasons, "bootstrap over data from before (its nodes' data directories hold files): "+pickRule(master))
		}
		r.Steps = append(r.Steps, Step{Op: "promote", Node: master.Name, Pick: true})
	case len(running) == 0:
		// A restart of a partition that ran, with no status to say which
		// node was its last master (the status nodes are down as well):
		// apply reads it once it has started them, and picks then.
		master = nodes[0]
		r.Action = Repair
		r.Drift = !d.allStoppedOnPurpose(nodes)
		pickAtApply = true
		r.Reasons = append(r.Reasons, fmt.Sprintf("no node of partition %d is running: start them; %s", i, pickRule(master)))
		r.Steps = append(r.Steps, Step{Op: "promote", Node: master.Name, Pick: true})
	case len(masters) == 0:
		best := running[0]
		for _, l := range running[1:] {
			if l.ns.Offset > best.ns.Offset {
				best = l
			}
		}
		master = best.n
		r.Action = Repair
		r.Drift = true
		if d.published == nil && len(d.spec.Status) > 0 && d.anyStopped(nodes) {
			// The status that says which node was the last master cannot
			// be read, and a stopped node may be it, with writes the
			// running ones never had: apply reads the status nodes once
			// it has started them, and picks then.
			pickAtApply = true
			r.Reasons = append(r.Reasons, fmt.Sprintf("partition %d has no master, and the status nodes that say which node was its last master do not answer: start the stopped nodes; %s", i, pickRule(master)))
			r.Steps = append(r.Steps, Step{Op: "promote", Node: master.Name, Pick: true})
			break
		}
		r.Reasons = append(r.Reasons, fmt.Sprintf("partition %d has no master: promote %s (highest replication offset, %d)", i, master.Name, best.ns.Offset))
		r.Steps = append(r.Steps, Step{Op: "promote", Node: master.Name})
	case len(masters) > 1:
		keep := masters[0]
		recorded := d.published.LastMaster(i)
		for _, m := range masters[1:] {
			if m.n.Name == recorded || keep.n.Name != recorded && (m.ns.Keys > keep.ns.Keys || m.ns.Keys == keep.ns.Keys && m.ns.Offset > keep.ns.Offset) {
				keep = m
			}
		}
		master = keep.n
		var names []string
		for _, m := range masters {
			names = append(names, m.n.Name)
		}
		r.Action = Repair
		r.Drift = true
		r.Destructive = true
		why := "most keys, then highest offset"
		if recorded == keep.n.Name {
			why = "the last master in the published status"
		}
		r.Reasons = append(r.Reasons, fmt.Sprintf("partition %d has %d masters (%s): keep %s (%s), demote the others; writes they took alone are lost",
			i, len(masters), strings.Join(names, ", "), master.Name, why))
	default:
		master = masters[0].n
		if master.Name != nodes[0].Name {
			d.note(addr, "%s is master of partition %d after a failover (roma.hcl lists %s first); this is not drift", master.Name, i, nodes[0].Name)
		}
	}
	ma := nodeAddr(master)
	if len(masters) != 1 && !handover { // a master to promote, or to keep among several
		var old []string
		for _, m := range masters {
			old = append(old, m.n.Name)
		}
		ch := Change{Attr: "master", Old: strings.Join(old, ", "), New: master.Name, OldNull: len(masters) == 0}
		if pickAtApply {
			ch.New, ch.Unknown = "", true // not the plan's guess: JSON readers would take it for the answer
		}
		r.Changes = append(r.Changes, ch)
	} else if lastStopped >= 0 { // a master runs, on older data
		r.Changes = append(r.Changes, Change{Attr: "master", Old: masters[0].n.Name, New: master.Name, Drift: true})
	}
	for _, n := range nodes {
		if n.Name == master.Name {
			continue
		}
		ns := d.st.Nodes[n.Name]
		switch {
		case ns == nil || !ns.Reachable:
			r.Steps = append(r.Steps, Step{Op: "replicaof", Node: n.Name, Target: master.Name})
			if r.Action == "" {
				r.Action = Update
				r.Reasons = append(r.Reasons, fmt.Sprintf("%s (to be started) replicates from %s", n.Name, master.Name))
				r.Changes = append(r.Changes, Change{Attr: n.Name + ".follows", OldNull: true, New: master.Name})
			}
		case ns.Role == "master":
			r.Steps = append(r.Steps, Step{Op: "demote", Node: n.Name, Target: master.Name})
		case handover && ns.MasterAddr == leaving.Addr:
			r.Steps = append(r.Steps, Step{Op: "replicaof", Node: n.Name, Target: master.Name})
			r.Reasons = append(r.Reasons, fmt.Sprintf("%s then follows %s", n.Name, master.Name))
			r.Changes = append(r.Changes, Change{Attr: n.Name + ".follows", Old: leaving.Name, New: master.Name})
		case ns.MasterAddr != ma:
			r.Steps = append(r.Steps, Step{Op: "replicaof", Node: n.Name, Target: master.Name})
			if r.Action == "" || r.Action == Update {
				r.Action = Repair
				r.Drift = true
			}
			if len(masters) == 1 {
				r.Reasons = append(r.Reasons, fmt.Sprintf("%s follows %s instead of the partition's master %s: repoint it", n.Name, name(ns.MasterAddr), master.Name))
				r.Changes = append(r.Changes, Change{Attr: n.Name + ".follows", Old: name(ns.MasterAddr), New: master.Name, Drift: true})
			}
		case !ns.LinkUp:
			d.note(addr, "%s follows %s but its replication link is down", n.Name, master.Name)
		}
	}
	if r.Action == "" {
		return
	}
	d.add(r)
}

// unlessEmpty is the exception to the rule that a partition's last master
// leads when its nodes come back with their data (apply's lastOrMost).
const unlessEmpty = "unless, once started, it holds no key while another does: then the node holding the most keys"

// pickRule says how apply picks the master of a partition the plan cannot
// (Step.Pick, Change.Unknown), guess being the plan's pick on a tie.
func pickRule(guess cluster.Node) string {
	return fmt.Sprintf("the master is the node romad last published as master (or as lost), as it has the newest data, read from the status nodes once apply has started them; "+
		"if the status names none of them, or that node holds no key while another does, the node holding the most keys (%s on a tie)", guess.Name)
}

// stoppedLastMaster returns the index in nodes, partition i's, of its
// last master as romad last published it (its master, or the one it lost
// at HALT) when that node is stopped. -1 otherwise.
func (d *differ) stoppedLastMaster(i int, nodes []cluster.Node) int {
	last := d.published.LastMaster(i)
	k := slices.IndexFunc(nodes, func(n cluster.Node) bool { return n.Name == last })
	if k < 0 {
		return -1
	}
	if !d.stopped(nodes[k]) {
		return -1
	}
	return k
}

// stopped reports whether data node n is stopped: its host answers, it
// has a conf file there, and it does not run.
func (d *differ) stopped(n cluster.Node) bool {
	hs := d.st.Hosts[n.Host]
	ns := d.st.Nodes[n.Name]
	return hs != nil && hs.Reachable && hs.Files[n.Name] != nil && (ns == nil || !ns.Reachable && !refusesPassword(ns))
}

// filePartition returns the partition data node n's conf file on its host
// was rendered for, or -1 when there is no such file.
func (d *differ) filePartition(n cluster.Node) int {
	if p, ok := d.fileParts[n.Name]; ok {
		return p
	}
	p := -1
	if hs := d.st.Hosts[n.Host]; hs != nil {
		if f := hs.Files[n.Name]; f != nil {
			if m, ok := redisconf.ParseMeta(f.Content); ok && m.Kind == redisconf.KindData {
				p = m.Partition
			}
		}
	}
	d.fileParts[n.Name] = p
	return p
}

// partitionNodes returns the nodes of partition i as they are live: a node
// roma.hcl moves to another partition (which node refuses) still counts
// in the one its conf file names.
func (d *differ) partitionNodes(i int) []cluster.Node {
	var out []cluster.Node
	for _, n := range d.spec.Nodes {
		fp := d.filePartition(n)
		if fp == i || fp < 0 && n.Partition == i {
			out = append(out, n)
		}
	}
	return out
}

// leavingMaster returns the node of partition i that roma.hcl no longer
// declares where it runs, and that is a running master, or nil.
func (d *differ) leavingMaster(i int) *NodeState {
	for _, name := range sortedKeys(d.leaving) {
		o := d.leaving[name]
		if o.meta.Kind != redisconf.KindData || o.meta.Partition != i {
			continue
		}
		if ns := d.st.Leaving[name]; ns != nil && ns.Reachable && ns.Role == "master" {
			return ns
		}
	}
	return nil
}

// anyStopped reports whether one of nodes is stopped.
func (d *differ) anyStopped(nodes []cluster.Node) bool {
	return slices.ContainsFunc(nodes, d.stopped)
}

// anyData reports whether the data directory of one of nodes holds
// files.
func (d *differ) anyData(nodes []cluster.Node) bool {
	for _, n := range nodes {
		if hs := d.st.Hosts[n.Host]; hs != nil && hs.Data[n.Name] {
			return true
		}
	}
	return false
}

func (d *differ) anyFile(nodes []cluster.Node) bool {
	for _, n := range nodes {
		if hs := d.st.Hosts[n.Host]; hs != nil && hs.Files[n.Name] != nil {
			return true
		}
	}
	return false
}

func (d *differ) deletes() {
	for _, name := range sortedKeys(d.orphans) {
		o := d.orphans[name]
		kind := "node"
		if o.meta.Kind == redisconf.KindStatus {
			kind = "status"
		}
		r := Resource{Address: kind + "." + name, Kind: kind, Name: name, Host: o.host, Action: Delete, Destructive: true}
		r.Reasons = append(r.Reasons, fmt.Sprintf("no longer in roma.hcl: its redis-server on %s is stopped and its conf file removed (its data directory stays)", o.host))
		ns := d.st.Leaving[name]
		switch to, ok := d.handovers[name]; {
		case (ns == nil || !ns.Reachable) && kind == "node" && d.published.LastMaster(o.meta.Partition) == name:
			r.Reasons = append(r.Reasons, fmt.Sprintf("it is the last master of partition %d, stopped: the writes only it holds are given up, and the node holding the most data leads the partition", o.meta.Partition))
		case ns == nil || !ns.Reachable:
		case ok:
			r.Reasons = append(r.Reasons, fmt.Sprintf("it is the master of partition %d: it hands over to %s first (partition.%d), so its %d keys stay", o.meta.Partition, to, o.meta.Partition, ns.Keys))
		case kind == "node" && ns.Role != "master":
			r.Reasons = append(r.Reasons, fmt.Sprintf("a replica: its %d keys stay on its partition's master", ns.Keys))
		default:
			r.Reasons = append(r.Reasons, fmt.Sprintf("it holds %d keys, which will be lost", ns.Keys))
		}
		r.Steps = []Step{{Op: "stop", Node: name}, {Op: "remove", Node: name}}
		d.add(r)
	}
}

// beyondReach notes each data node that roma.hcl no longer declares, nor
// its host, and that still answers at the address the published status
// gives, other than a master that hands over (partition says what becomes
// of it): roma cannot reach its host to stop it, and it keeps running,
// a replica still, unless the operator stops it.
func (d *differ) beyondReach() {
	for _, name := range sortedKeys(d.leaving) {
		if d.leaving[name].host != "" || d.handovers[name] != "" {
			continue
		}
		ns := d.st.Leaving[name]
		if ns == nil || !ns.Reachable || ns.Role == "master" {
			continue
		}
		of := ""
		if ns.MasterAddr != "" {
			of = " of " + ns.MasterAddr
			for _, n := range d.spec.Nodes {
				if d.spec.Addr(n.Host, n.Port) == ns.MasterAddr {
					of = " of " + n.Name
				}
			}
		}
		d.note("node."+name, "%s at %s is no longer in roma.hcl, nor is its host: roma cannot reach its host to stop it, so it keeps running, a replica%s with its %d keys, until you stop it. "+
			"To have roma apply stop it, put its host back in roma.hcl for one apply", name, ns.Addr, of, ns.Keys)
	}
}

// strays notes each replica that a declared data node lists (INFO
// replication: the address the replica announces) at an address where
// roma.hcl declares no node and none is leaving: a node removed from
// roma.hcl with its host once the published status no longer names it,
// or one attached by hand. It copies the partition's keys, and roma
// neither manages nor stops it. roma does not connect to it: it is not
// known to be this cluster's, and would be given the password.
func (d *differ) strays() {
	known := map[string]bool{}
	for _, t := range targets(d.spec) {
		known[addrOf(t)] = true
	}
	for _, ns := range d.st.Leaving {
		if ns != nil {
			known[ns.Addr] = true
		}
	}
	for _, n := range d.spec.Nodes {
		ns := d.st.Nodes[n.Name]
		if ns == nil || !ns.Reachable {
			continue
		}
		for _, addr := range ns.Replicas {
			if known[addr] {
				continue
			}
			role := "a replica"
			if ns.Role == "master" {
				role = "the master"
			}
			d.note(fmt.Sprintf("partition.%d", n.Partition), "%s, %s of partition %d, has a replica at %s that roma.hcl does not declare: roma neither manages nor stops it, and it goes on copying partition %d's keys. "+
				"If it is a node removed from roma.hcl together with its host, stop it on that host, or put the host back in roma.hcl for one apply and roma apply stops it", n.Name, role, n.Partition, addr, n.Partition)
		}
	}
}

// foreign refuses a plan that would take over another cluster's nodes: a
// conf file where roma.hcl puts one of its nodes, whose header names
// another cluster (a roma.hcl copied for a new cluster, with its hosts,
// root and names left as they were). Apply would rewrite the files and
// restart romad as this cluster's, and the other cluster's clients would
// lose their status.
func (d *differ) foreign() {
	var names, hosts, others []string
	owned := 0 // targets with a conf file roma.hcl's cluster wrote
	for _, t := range targets(d.spec) {
		other := d.foreignCluster(t)
		switch {
		case other == "":
			if d.hasConf(t) {
				owned++
			}
			continue
		case !slices.Contains(others, other):
			others = append(others, other)
		}
		if !slices.Contains(hosts, t.Host.Name) {
			hosts = append(hosts, t.Host.Name)
		}
		names = append(names, kindOf(t)+"."+t.Name)
	}
	if len(names) >= 2 && owned == 0 && len(others) == 1 {
		// roma.hcl's cluster renamed, or copied for a new cluster with
		// its hosts and names left as they were: one cause, said once.
		d.p.Refusals = append(d.p.Refusals, Note{Address: "cluster." + d.spec.Name, Message: fmt.Sprintf(
			"roma.hcl declares cluster %q, and every conf file its nodes have on the hosts (%d, on %s) belongs to cluster %q (was the cluster renamed in roma.hcl?): roma does not take over another cluster's nodes. "+
				"To rename a cluster, run roma destroy with the roma.hcl of %q (data directories are kept), then roma apply; for a new cluster beside it, give this one its own root, ports or node names",
			d.spec.Name, len(names), strings.Join(hosts, ", "), others[0], others[0])})
		return
	}
	for _, t := range targets(d.spec) {
		if other := d.foreignCluster(t); other != "" {
			d.p.Refusals = append(d.p.Refusals, Note{Address: kindOf(t) + "." + t.Name, Message: fmt.Sprintf(
				"its conf file on %s belongs to cluster %q, and roma.hcl declares cluster %q: roma does not take over another cluster's nodes. Give this cluster its own root, ports or node names; to rename a cluster, run roma destroy with the roma.hcl of %q (data directories are kept), then roma apply",
				t.Host.Name, other, d.spec.Name, other)})
		}
	}
}

// foreignCluster returns the cluster whose conf file t has on its host
// when that is not roma.hcl's, else "". foreign refuses such a node, and
// node plans nothing for it.
func (d *differ) foreignCluster(t redisconf.Target) string {
	hs := d.st.Hosts[t.Host.Name]
	if hs == nil {
		return ""
	}
	f, ok := hs.Files[t.Name]
	if !ok {
		return ""
	}
	m, ok := redisconf.ParseMeta(f.Content)
	if !ok || m.Cluster == d.spec.Name {
		return ""
	}
	return m.Cluster
}

// hasConf reports whether t has a conf file on its host.
func (d *differ) hasConf(t redisconf.Target) bool {
	hs := d.st.Hosts[t.Host.Name]
	return hs != nil && hs.Files[t.Name] != nil
}

// confMeta reads the header of the conf file at path on host hs, when it
// is one of the files roma observed there.
func (d *differ) confMeta(hs *HostState, path string) (redisconf.Meta, bool) {
	for _, f := range hs.Files {
		if f.Path == path {
			return redisconf.ParseMeta(f.Content)
		}
	}
	return redisconf.Meta{}, false
}

// reshard refuses a change of the partition count or hash function: the
// files on the hosts record what the live cluster was rendered with.
func (d *differ) reshard() {
	for _, hn := range sortedKeys(d.st.Hosts) {
		hs := d.st.Hosts[hn]
		for _, name := range sortedKeys(hs.Files) {
			m, ok := redisconf.ParseMeta(hs.Files[name].Content)
			if !ok || m.Cluster != d.spec.Name || m.Kind != redisconf.KindData {
				continue
			}
			if m.Partitions == d.spec.Partitions && m.Hash == d.spec.Hash {
				continue
			}
			share := "an unknown share of"
			from, err1 := hash.New(m.Hash)
			to, err2 := hash.New(d.spec.Hash)
			if err1 == nil && err2 == nil {
				if s, err := hash.MovedShare(from, to, m.Partitions, d.spec.Partitions, hash.SampleKeys(20000)); err == nil {
					share = s.String() + " of"
				}
			}
			d.p.Refusals = append(d.p.Refusals, Note{Address: "cluster." + d.spec.Name, Message: fmt.Sprintf(
				"the live cluster has %d partitions with hash %q; roma.hcl asks for %d with hash %q: %s the keys would move to another partition. roma cannot reshard yet, so apply refuses this plan",
				m.Partitions, m.Hash, d.spec.Partitions, d.spec.Hash, share)})
			return
		}
	}
}

// fingerprints records a digest of what was observed of each resource,
// and one of the configuration the plan was made from ("config").
func (d *differ) fingerprints() {
	c := sha256.New()
	fmt.Fprintf(c, "cluster=%s partitions=%d hash=%s\n", d.spec.Name, d.spec.Partitions, d.spec.Hash)
	for _, h := range d.spec.Hosts {
		fmt.Fprintf(c, "host %s %s %s %s %s\n", h.Name, h.Address, h.Transport, h.Root, h.Service)
	}
	// Secrets stay out of the digest: a plan file must not let anyone
	// test guesses of the password offline.
	safe := *d.spec
	safe.Password = cluster.NewSecret("(sensitive)")
	if d.spec.Password.Previous().IsSet() {
		safe.Password = safe.Password.WithPrevious(cluster.NewSecret("(previous)")) // a rotation is declared
	}
	safe.Nodes = make([]cluster.Node, len(d.spec.Nodes))
	for i, n := range d.spec.Nodes {
		n.Redis = cluster.Settings{}
		for k, v := range d.spec.Nodes[i].Redis {
			if v.Sensitive {
				v = cluster.Setting{Values: []string{"(sensitive)"}, Sensitive: true}
			}
			n.Redis[k] = v
		}
		safe.Nodes[i] = n
	}
	for _, t := range targets(&safe) {
		fmt.Fprintf(c, "target %s %s\n", t.Name, redisconf.Render(&safe, t))
	}
	d.p.Fingerprints["config"] = hex.EncodeToString(c.Sum(nil))
	secret := sensitiveDirectives(d.spec)
	for name, hs := range d.st.Hosts {
		h := sha256.New()
		fmt.Fprintf(h, "reachable=%v redis=%s\n", hs.Reachable, hs.Redis)
		for _, dir := range sortedKeys(hs.Dirs) {
			fmt.Fprintf(h, "dir %s\n", dir)
		}
		for _, f := range sortedKeys(hs.Files) {
			// The digest of the file without its secrets: a plan file
			// must not let anyone test password guesses offline.
			fmt.Fprintf(h, "file %s %s %o\n", f, sha(redactConf(hs.Files[f].Content, secret)), hs.Files[f].Mode)
		}
		for _, s := range sortedKeys(hs.Services) {
			fmt.Fprintf(h, "svc %s %v\n", s, hs.Services[s].Running)
			if hs.Services[s].Replaced {
				fmt.Fprintf(h, "replaced %s\n", s)
			}
		}
		for _, p := range sortedKeys(hs.Sums) {
			if !strings.HasSuffix(p, "/secrets.hcl") {
				fmt.Fprintf(h, "sum %s %s\n", p, hs.Sums[p])
			}
		}
		d.p.Fingerprints["host."+name] = hex.EncodeToString(h.Sum(nil))
	}
	node := func(ns *NodeState) string {
		h := sha256.New()
		fmt.Fprintf(h, "reachable=%v auth=%v role=%s master=%s run=%s\n", ns.Reachable, ns.AuthError, ns.Role, ns.MasterAddr, ns.RunID)
		for _, k := range sortedKeys(ns.Config) {
			if !redisconf.Secret(k) && !secret[k] {
				fmt.Fprintf(h, "%s=%s\n", k, ns.Config[k])
			}
		}
		return hex.EncodeToString(h.Sum(nil))
	}
	for name, ns := range d.st.Nodes {
		kind := "node."
		if slices.ContainsFunc(d.spec.Status, func(s cluster.StatusNode) bool { return s.Name == name }) {
			kind = "status." // as the plan names it: a stale plan's message says which
		}
		d.p.Fingerprints[kind+name] = node(ns)
	}
	// A node leaving roma.hcl: a handover depends on its role.
	for name, ns := range d.st.Leaving {
		d.p.Fingerprints["leaving."+name] = node(ns)
	}
}

func filterTargets(rs []Resource, spec *cluster.Spec, tgts []string) []Resource {
	if len(tgts) == 0 {
		return rs
	}
	var out []Resource
	for _, r := range rs {
		for _, t := range tgts {
			if r.Address == t || strings.HasPrefix(t, "host.") && r.Host == strings.TrimPrefix(t, "host.") {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// redact drops the values of sensitive changes, so that no view of the
// plan, and no plan file, can ever hold a secret.
func redact(p *Plan) {
	for i := range p.Resources {
		for j := range p.Resources[i].Changes {
			c := &p.Resources[i].Changes[j]
			if c.Sensitive {
				c.Old, c.New = "", ""
			}
		}
	}
}

// redactConf drops the lines of a conf file that hold secrets or their
// hashes: the cluster password's (requirepass, masterauth, and the
// default user's line during a rotation), every ACL user's, and those of
// the directives in secret, and those the file's header marks sensitive.
func redactConf(b []byte, secret map[string]bool) []byte {
	m, _ := redisconf.ParseMeta(b)
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 0 {
			if k := strings.ToLower(f[0]); m.FileSensitive(k) || k == "user" || secret[k] {
				continue
			}
		}
		out = append(out, l)
	}
	return []byte(strings.Join(out, "\n"))
}

// sensitiveDirectives names the directives roma.hcl marks sensitive,
// cluster-wide or on a node.
func sensitiveDirectives(s *cluster.Spec) map[string]bool {
	out := map[string]bool{}
	for k, v := range s.Redis {
		if v.Sensitive {
			out[k] = true
		}
	}
	for _, n := range s.Nodes {
		for k, v := range n.Redis {
			if v.Sensitive {
				out[k] = true
			}
		}
	}
	return out
}

// romads plans romad on each host of the romad block: its binary (for the
// host's OS and architecture), its generated config and secrets, and its
// service; and romad's removal from hosts no longer listed.
func (d *differ) romads() {
	listed := map[string]bool{}
	if d.spec.Romad != nil {
		config, secrets, err := RomadFiles(d.spec)
		for _, hn := range d.spec.Romad.Hosts {
			listed[hn] = true
			addr := "romad." + hn
			hs := d.st.Hosts[hn]
			if hs == nil || !hs.Reachable {
				d.p.Unobserved = append(d.p.Unobserved, Note{Address: addr, Message: "host " + hn + " could not be observed"})
				continue
			}
			if err != nil {
				d.p.Refusals = append(d.p.Refusals, Note{Address: addr, Message: "cannot write romad's configuration: " + err.Error()})
				continue
			}
			bin, err := RomadBinary(hs.OS, hs.Arch)
			if err != nil {
				d.p.Refusals = append(d.p.Refusals, Note{Address: addr, Message: fmt.Sprintf("host %s is %s/%s: %v", hn, hs.OS, hs.Arch, err)})
				continue
			}
			binSum, err := FileSHA256(bin)
			if err != nil {
				d.p.Refusals = append(d.p.Refusals, Note{Address: addr, Message: err.Error()})
				continue
			}
			h, _ := d.spec.Host(hn)
			l := cluster.LayoutOf(h)
			r := Resource{Address: addr, Kind: "romad", Name: hn, Host: hn}
			have := func(p string) string { return hs.Sums[p] }
			short := func(s string) string {
				if len(s) > 12 {
					return s[:12]
				}
				return s
			}
			if have(l.RomadBin()) == "" && have(l.RomadConfig()) == "" {
				r.Action = Create
				r.Reasons = append(r.Reasons, "romad is not installed on "+hn+" yet")
				r.Changes = append(r.Changes, Change{Attr: "binary", New: short(binSum), OldNull: true},
					Change{Attr: "config", New: l.RomadConfig(), OldNull: true}, Change{Attr: "secrets", Sensitive: true, OldNull: true})
				r.Steps = []Step{{Op: "install-romad", Node: hn}, {Op: "start", Node: "romad"}}
				d.add(r)
				continue
			}
			restart := false
			var missing []string // romad's files removed outside roma
			if s := have(l.RomadBin()); s != binSum {
				r.Changes = append(r.Changes, Change{Attr: "binary", Old: short(s), New: short(binSum), OldNull: s == "", Drift: s == ""})
				restart = true
				if s == "" {
					missing = append(missing, l.RomadBin())
				}
			}
			if s := have(l.RomadConfig()); s != sha(config) {
				r.Changes = append(r.Changes, Change{Attr: "config", Old: "sha256:" + short(s), New: "sha256:" + short(sha(config)), OldNull: s == "", Drift: s == ""})
				restart = true
				if s == "" {
					missing = append(missing, l.RomadConfig())
				}
			}
			if s := have(l.RomadSecrets()); s != sha(secrets) {
				r.Changes = append(r.Changes, Change{Attr: "secrets", Sensitive: true, OldNull: s == "", Drift: s == ""})
				restart = true
				if s == "" {
					missing = append(missing, l.RomadSecrets())
				}
			}
			if len(missing) > 0 {
				r.Drift = true
				r.Reasons = append(r.Reasons, "removed outside roma: "+strings.Join(missing, ", "))
			}
			svc := hs.Services["romad"]
			running := svc != nil && svc.Running
			switch {
			case restart:
				r.Action = Update
				r.Reasons = append(r.Reasons, "romad's version or configuration changed: it is updated and restarted")
				r.Steps = []Step{{Op: "install-romad", Node: hn}, {Op: "restart", Node: "romad"}}
			case !running:
				r.Action = Repair
				if said, ok := d.stoppedOnPurpose("romad." + hn); ok {
					r.Reasons = append(r.Reasons, "romad was "+said+": start it (roma start, or apply)")
					r.Changes = append(r.Changes, Change{Attr: "running", Old: "false", New: "true"})
				} else {
					r.Drift = true
					r.Reasons = append(r.Reasons, "romad is not running: start it")
					r.Changes = append(r.Changes, Change{Attr: "running", Old: "false", New: "true", Drift: true})
				}
				r.Steps = []Step{{Op: "start", Node: "romad"}}
			}
			d.add(r)
		}
	}
	for _, hn := range sortedKeys(d.st.Hosts) {
		hs := d.st.Hosts[hn]
		h, ok := d.spec.Host(hn)
		if listed[hn] || !ok || !hs.Reachable || hs.Sums[cluster.LayoutOf(h).RomadConfig()] == "" {
			continue
		}
		d.add(Resource{Address: "romad." + hn, Kind: "romad", Name: hn, Host: hn, Action: Delete,
			Reasons: []string{"romad is no longer listed for " + hn + ": it is stopped and its files removed"},
			Steps:   []Step{{Op: "stop", Node: "romad"}, {Op: "remove", Node: "romad"}}})
	}
}

// backup plans the backup schedule: the romad on the backup host takes
// the backups (romad's own resource covers it); the store's directory
// must exist there.
func (d *differ) backup() {
	bk := d.spec.Backup
	if bk == nil {
		return
	}
	hs := d.st.Hosts[bk.Host]
	if hs == nil || !hs.Reachable {
		d.p.Unobserved = append(d.p.Unobserved, Note{Address: "backup", Message: "host " + bk.Host + " could not be observed"})
		return
	}
	schedule := fmt.Sprintf("every %s, keeping %d, into %s:%s, taken by the romad on %s", bk.Every, bk.Keep, bk.Host, bk.Dir, bk.Host)
	if hs.Dirs[bk.Dir] {
		return
	}
	d.add(Resource{Address: "backup", Kind: "backup", Name: "backup", Host: bk.Host, Action: Create,
		Reasons: []string{"scheduled backups " + schedule},
		Changes: []Change{{Attr: "every", New: bk.Every.String(), OldNull: true}, {Attr: "keep", New: strconv.Itoa(bk.Keep), OldNull: true},
			{Attr: "store", New: bk.Host + ":" + bk.Dir, OldNull: true}},
		Steps: []Step{{Op: "mkdir", Node: bk.Dir, Target: bk.Host}}})
}

// older reports whether Redis version a ("7.0.15") is older than b by its
// major or minor number, which is where formats change. An unreadable
// version is not older.
func older(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < 2 && i < len(pa) && i < len(pb); i++ {
		x, err1 := strconv.Atoi(pa[i])
		y, err2 := strconv.Atoi(pb[i])
		if err1 != nil || err2 != nil {
			return false
		}
		if x != y {
			return x < y
		}
	}
	return false
}
