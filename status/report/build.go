package report

import (
	"fmt"
	"maps"
	"math"
	"net"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/redisinfo"
	"github.com/roma-redis/roma/status"
)

// Inputs is everything a report is built from.
type Inputs struct {
	Spec    *cluster.Spec
	Reading status.Reading   // from status.ReadMajority, keyed by status node address
	Probes  map[string]Probe // by data node name; a node without one did not answer
	Now     time.Time
}

// Build makes the report. Its state is the worse of two:
//
//   - the published state, when a majority of the status nodes hold the
//     latest epoch (otherwise there is none to trust);
//   - the state the probe finds: HALT when a partition has no master up
//     (or, with a published status, its published master is not up as a
//     master), or when no majority of status nodes answered, since clients
//     then cannot read the status; DEGRADED when a data or status node is
//     down or loading, a replica's link is down or it follows the wrong
//     master, or a partition has two masters.
//
// Every reason for a state other than OK is one of the report's Problems.
func Build(in Inputs) *Report {
	b := builder{in: in, r: &Report{Cluster: in.Spec.Name, Checked: in.Now.UTC()}, addrs: map[string]string{}}
	for _, n := range in.Spec.Nodes {
		b.addrs[in.Spec.Addr(n.Host, n.Port)] = n.Name
	}
	b.readStatus()
	b.addUndeclared()
	for p := range in.Spec.Partitions {
		b.partition(p)
	}
	b.published()
	b.decide()
	return b.r
}

// StaleAfter is how old the published status may be when romad runs: the
// alpha rewrites it every second, so one older than this (which leaves
// room for the clocks of romad's host and this one to differ) says that
// no romad is alpha.
const StaleAfter = 30 * time.Second

// finding is one problem and the state it implies (OK for a note).
type finding struct{ state, text string }

type builder struct {
	in       Inputs
	r        *Report
	trusted  *status.Status // the published status, when a majority holds it
	addrs    map[string]string
	findings []finding
	// extra are the data nodes the trusted status names that roma.hcl
	// does not declare, by partition; extraAddr their published
	// addresses.
	extra     map[int][]cluster.Node
	extraAddr map[string]string
}

// undeclared returns the data nodes s names that spec does not declare
// (removed from roma.hcl, not yet by apply), by name: they still serve,
// so Gather probes them at their published address, and the report shows
// them with the partition they serve.
func undeclared(spec *cluster.Spec, s *status.Status) map[string]status.NodeState {
	out := map[string]status.NodeState{}
	if s == nil {
		return out
	}
	for name, n := range s.Nodes {
		if _, ok := spec.Node(name); !ok && n.Partition >= 0 && n.Partition < spec.Partitions && n.Addr != "" {
			out[name] = n
		}
	}
	return out
}

// addUndeclared adds the undeclared nodes of the trusted status to the
// partitions they serve, on the host roma.hcl gives their address.
func (b *builder) addUndeclared() {
	b.extra, b.extraAddr = map[int][]cluster.Node{}, map[string]string{}
	nodes := undeclared(b.in.Spec, b.trusted)
	for _, name := range slices.Sorted(maps.Keys(nodes)) {
		n := nodes[name]
		host := ""
		if h, _, err := net.SplitHostPort(n.Addr); err == nil {
			if i := slices.IndexFunc(b.in.Spec.Hosts, func(sh cluster.Host) bool { return sh.Address == h }); i >= 0 {
				host = b.in.Spec.Hosts[i].Name
			}
		}
		b.extra[n.Partition] = append(b.extra[n.Partition], cluster.Node{Name: name, Host: host, Partition: n.Partition, Database: n.Database})
		b.extraAddr[name] = n.Addr
		if _, taken := b.addrs[n.Addr]; !taken {
			b.addrs[n.Addr] = name
		}
	}
}

func (b *builder) add(state, format string, args ...any) {
	b.findings = append(b.findings, finding{state, fmt.Sprintf(format, args...)})
}

// readStatus fills the status nodes, the agreement and the published
// status.
func (b *builder) readStatus() {
	rd, spec := b.in.Reading, b.in.Spec
	a := Agreement{Total: len(spec.Status), Answered: rd.Answered}
	for _, s := range spec.Status {
		addr := spec.Addr(s.Host, s.Port)
		sn := StatusNode{Name: s.Name, Addr: addr}
		if e, ok := rd.PerNode[addr]; ok {
			sn.Up, sn.Epoch = true, e
			if rd.Status != nil && e == rd.Status.Epoch {
				a.Agreeing++
			}
		} else {
			sn.Error = rd.Errors[addr]
			if sn.Error == "" {
				sn.Error = "not asked"
			}
			if rd.Status != nil && rd.Status.Nodes[s.Name].State == status.NodeDown {
				sn.Stopped = rd.Status.Nodes[s.Name].Stopped
			}
			switch {
			case redisconn.PasswordRefusal(sn.Error):
				b.add(status.Degraded, "status node %s (%s) refuses roma.hcl's password (%s): it is down to roma and to clients", s.Name, addr, sn.Error)
			case sn.Stopped != nil:
				b.add(status.Degraded, "status node %s (%s) was stopped %s: roma start brings it back", s.Name, addr, sn.Stopped)
			default:
				b.add(status.Degraded, "status node %s (%s) did not answer with a status: %s", s.Name, addr, sn.Error)
			}
		}
		b.r.StatusNodes = append(b.r.StatusNodes, sn)
	}
	a.Majority = a.Agreeing*2 > a.Total
	b.r.Agreement = a
	if s := rd.Status; s != nil {
		b.r.Published = &Published{State: s.State, Epoch: s.Epoch, Alpha: s.Alpha, Updated: s.Updated.UTC(), Maintenance: s.Maintenance}
		b.r.Backup = s.Backup
	}
	switch {
	case a.Total == 0:
		b.add(status.OK, "roma.hcl declares no status nodes: the state comes from the probe alone")
	case a.Answered*2 <= a.Total:
		b.add(status.Halt, "only %d of %d status nodes answered: clients cannot read the status and treat the cluster as HALT", a.Answered, a.Total)
	case !a.Majority:
		b.add(status.Degraded, "the status nodes disagree (%s) and no majority holds the latest epoch: the state comes from the probe", b.epochs())
	case a.Agreeing < a.Answered:
		b.add(status.OK, "the status nodes disagree (%s); a majority holds epoch %d", b.epochs(), rd.Status.Epoch)
	}
	if a.Majority && rd.Status != nil {
		b.trusted = rd.Status
	}
}

// epochs lists the epoch each answering status node holds.
func (b *builder) epochs() string {
	var out []string
	for _, sn := range b.r.StatusNodes {
		if sn.Up {
			out = append(out, fmt.Sprintf("%s at epoch %d", sn.Name, sn.Epoch))
		}
	}
	return strings.Join(out, ", ")
}

// partition builds partition p and its nodes.
func (b *builder) partition(p int) {
	nodes := append(b.in.Spec.PartitionNodes(p), b.extra[p]...)
	var masters []string
	for _, n := range nodes {
		if pr, ok := b.probe(n.Name); ok && !pr.Loading && pr.Role == "master" {
			masters = append(masters, n.Name)
		}
	}
	part := Partition{Index: p}
	published := false
	if b.trusted != nil && p < len(b.trusted.Partitions) {
		part.Master, part.Lost, published = b.trusted.Partitions[p].Master, b.trusted.Partitions[p].Lost, true
	} else {
		part.Master = b.likeliest(masters)
	}
	pm, ok := b.probe(part.Master)
	part.Serving = ok && !pm.Loading && pm.Role == "master"
	// The master's row first, then the others in declaration order.
	slices.SortStableFunc(nodes, func(x, y cluster.Node) int { return boolRank(x.Name != part.Master) - boolRank(y.Name != part.Master) })
	for _, n := range nodes {
		if n.Name != part.Master {
			part.Replicas = append(part.Replicas, n.Name)
		}
		b.r.Nodes = append(b.r.Nodes, b.node(n, part))
	}
	b.r.Partitions = append(b.r.Partitions, part)
	b.masterFindings(part, published, masters)
}

// unapplied reports whether data node name is one roma.hcl declares but
// the trusted published status does not name: romad, whose status names
// every node it watches, has not been told of it, so apply has not run
// since it was added.
func (b *builder) unapplied(name string) bool {
	if b.trusted == nil || len(b.trusted.Nodes) == 0 {
		return false
	}
	_, named := b.trusted.Nodes[name]
	return !named
}

// probe returns the probe of a node that answered.
func (b *builder) probe(name string) (Probe, bool) {
	pr, ok := b.in.Probes[name]
	return pr, ok && pr.Err == ""
}

// likeliest picks, among a partition's probed masters, the one most of
// its nodes replicate from (the first declared on a tie).
func (b *builder) likeliest(masters []string) string {
	best, votes := "", -1
	for _, m := range masters {
		v := 0
		for _, pr := range b.in.Probes {
			if pr.Err == "" && b.addrs[pr.MasterAddr] == m {
				v++
			}
		}
		if v > votes {
			best, votes = m, v
		}
	}
	return best
}

func (b *builder) masterFindings(part Partition, published bool, masters []string) {
	p, m := part.Index, part.Master
	from := ""
	if published {
		from = "published "
	}
	switch pr, probed := b.in.Probes[m]; {
	case m == "" && part.Lost != "":
		b.add(status.Halt, "partition %d has no master: it waits for %s, the master it lost with no replica fit to take over, which alone holds the newest data. "+
			"roma start or roma apply brings it back; if it cannot come back, remove it from roma.hcl and apply: the node holding the most data then leads, without the writes only %s had", p, part.Lost, part.Lost)
	case m == "" && published:
		b.add(status.Halt, "partition %d has no master in the published status", p)
	case m == "":
		b.add(status.Halt, "partition %d has no master: no node of it is up as a master", p)
	case !probed || pr.Err != "":
		b.add(status.Halt, "partition %d has no master up: its %smaster %s is down (%s)", p, from, m, orUnknown(pr.Err))
	case pr.Loading:
		b.add(status.Halt, "partition %d has no master up: its %smaster %s is still loading its data", p, from, m)
	case pr.Role != "master":
		other := ""
		if len(masters) > 0 {
			other = "; " + strings.Join(masters, " and ") + " is master"
		}
		b.add(status.Halt, "partition %d has no master up: its %smaster %s is a %s%s", p, from, m, pr.Role, other)
	}
	if len(masters) > 1 {
		b.add(status.Degraded, "partition %d has %d masters: %s", p, len(masters), strings.Join(masters, ", "))
	}
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

func orUnknown(s string) string {
	if s == "" {
		return "no answer"
	}
	return s
}

// node builds one data node's row and notes what is wrong with it, except
// for its partition's master, which masterFindings covers.
func (b *builder) node(n cluster.Node, part Partition) Node {
	nd := Node{Name: n.Name, Host: n.Host, Addr: b.in.Spec.Addr(n.Host, n.Port), Partition: n.Partition}
	if addr, ok := b.extraAddr[n.Name]; ok {
		nd.Addr, nd.Undeclared = addr, true
	}
	var pub status.NodeState
	if b.trusted != nil {
		pub = b.trusted.Nodes[n.Name]
	}
	pr, ok := b.in.Probes[n.Name]
	isMaster := n.Name == part.Master
	switch {
	case !ok || pr.Err != "":
		nd.State, nd.Error = status.NodeDown, orUnknown(pr.Err)
		if pub.State == status.NodeDown {
			nd.Since, nd.Stopped = pub.Since.UTC(), pub.Stopped
		}
		switch {
		case isMaster:
		case nd.Undeclared:
			// Removed from roma.hcl: apply stops it, and romad's status
			// names it until romad is told.
		case b.unapplied(n.Name):
			nd.Error = "not created yet: " + nd.Error
			b.add(status.OK, "node %s of partition %d does not answer, and the published status does not name it: added to roma.hcl, not yet applied (roma apply creates it)", n.Name, n.Partition)
		case redisconn.PasswordRefusal(nd.Error):
			b.add(status.Degraded, "node %s of partition %d refuses roma.hcl's password (%s): it is down to roma and to clients", n.Name, n.Partition, nd.Error)
		case nd.Stopped != nil:
			b.add(status.Degraded, "node %s of partition %d was stopped %s: roma start brings it back", n.Name, n.Partition, nd.Stopped)
		default:
			b.add(status.Degraded, "node %s of partition %d is down: %s", n.Name, n.Partition, nd.Error)
		}
		return nd
	case pr.Loading:
		nd.State = status.NodeLoading
		if !isMaster && !nd.Undeclared {
			b.add(status.Degraded, "node %s of partition %d is still loading its data", n.Name, n.Partition)
		}
	default:
		nd.State = status.NodeUp
	}
	nd.Role, nd.Memory, nd.MaxMemory, nd.Keys = pr.Role, pr.Mem.Used, pr.Mem.Max, pr.Keys[n.Database]
	if isMaster && nd.State == status.NodeUp {
		if msg := MemoryProblem(n.Name, pr.Mem); msg != "" {
			b.add(status.Degraded, "%s", msg)
		}
	}
	if pub.State == nd.State && !pub.Since.IsZero() {
		nd.Since = pub.Since.UTC()
	} else if pr.Uptime >= 0 && nd.State == status.NodeUp {
		nd.Since = b.in.Now.Add(-pr.Uptime).UTC().Truncate(time.Second)
	}
	if pr.Role == "replica" {
		b.replica(&nd, pr, part)
	}
	return nd
}

// replica fills a replica's master, link and lag, and notes a broken link
// or a wrong master.
func (b *builder) replica(nd *Node, pr Probe, part Partition) {
	nd.Master, nd.Link = pr.MasterAddr, pr.Link
	if name, ok := b.addrs[pr.MasterAddr]; ok {
		nd.Master = name
		if mp, ok := b.probe(name); ok && mp.Role == "master" {
			lag := max(0, mp.Offset-pr.Offset)
			nd.Lag = &lag
		}
	}
	if nd.State != status.NodeUp || !part.Serving || nd.Name == part.Master || nd.Undeclared {
		return
	}
	switch {
	case nd.Master != part.Master:
		b.add(status.Degraded, "node %s replicates from %s, not from partition %d's master %s", nd.Name, nd.Master, part.Index, part.Master)
	case nd.Link != "up":
		b.add(status.Degraded, "node %s: its replication link to %s is %s", nd.Name, nd.Master, orUnknown(nd.Link))
	}
}

// published notes what the published status says that roma.hcl does not.
func (b *builder) published() {
	s := b.trusted
	if s == nil {
		if p := b.r.Published; p != nil && b.r.Agreement.Total > 0 {
			b.add(status.OK, "the latest published status (epoch %d) is not held by a majority of status nodes", p.Epoch)
		}
		return
	}
	if len(s.Partitions) != b.in.Spec.Partitions {
		b.add(status.Degraded, "the published status has %d partitions; roma.hcl declares %d", len(s.Partitions), b.in.Spec.Partitions)
	}
	for _, name := range s.NodeNames() {
		if n := s.Nodes[name]; n.Partition >= 0 {
			if _, ok := b.in.Spec.Node(name); !ok {
				if _, shown := b.extraAddr[name]; shown {
					if _, up := b.probe(name); up {
						b.add(status.OK, "the published status names node %s, which roma.hcl does not declare: it serves partition %d until roma apply removes it", name, n.Partition)
					} else {
						b.add(status.OK, "the published status names node %s, which roma.hcl does not declare, and it does not answer: removed, and romad not yet told", name)
					}
				} else {
					b.add(status.OK, "the published status names node %s, which roma.hcl does not declare", name)
				}
			}
		}
	}
	if s.Maintenance {
		b.add(status.OK, "maintenance: romad does not fail over until it ends")
	}
	if rd := b.in.Spec.Romad; rd != nil && !s.Updated.IsZero() {
		if age := b.in.Now.Sub(s.Updated); age > StaleAfter {
			b.add(status.Degraded, "no romad has written the status for %s (the alpha rewrites it every second): no romad is alpha, so no master is failed over; check romad on %s",
				age.Round(time.Second), strings.Join(rd.Hosts, ", "))
		}
	}
	if bk := s.Backup; bk != nil && !bk.OK {
		b.add(status.OK, "the last backup (%s) failed: %s", bk.ID, orUnknown(bk.Error))
	}
	if bk, sb := s.Backup, b.in.Spec.Backup; bk != nil && sb.OverdueAfter() > 0 && b.in.Now.Sub(bk.Time) > sb.OverdueAfter() {
		b.add(status.OK, "no backup since %s (%s ago), and roma.hcl asks for one every %s: scheduled backups are overdue; check romad on the backup host %s",
			bk.Time.UTC().Format("2006-01-02 15:04:05Z"), b.in.Now.Sub(bk.Time).Round(time.Minute), sb.Every, sb.Host)
	}
}

// decide sets the state, its source and the problems, most serious first.
func (b *builder) decide() {
	probe := status.OK
	for _, f := range b.findings {
		probe = Worse(probe, f.state)
	}
	b.r.State, b.r.Source = probe, SourceProbe
	if b.trusted != nil {
		pub := b.trusted.State
		if rank(pub) < 0 {
			b.add(status.Degraded, "the published state %q is not one roma knows", pub)
			pub = status.Degraded
		}
		b.r.State = Worse(pub, probe)
		if b.r.State == pub {
			b.r.Source = SourceStatus
		}
		if rank(pub) > rank(probe) {
			b.add(status.OK, "the published state is %s, but the probe finds nothing wrong: romad may not have published a recovery yet", pub)
		}
	}
	sort.SliceStable(b.findings, func(i, j int) bool { return rank(b.findings[i].state) > rank(b.findings[j].state) })
	for _, f := range b.findings {
		if !slices.Contains(b.r.Problems, f.text) {
			b.r.Problems = append(b.r.Problems, f.text)
		}
	}
}

// Worse returns the more serious of two cluster states.
func Worse(a, b string) string {
	if rank(b) > rank(a) {
		return b
	}
	return a
}

func rank(state string) int {
	switch state {
	case status.OK:
		return 0
	case status.Degraded:
		return 1
	case status.Halt:
		return 2
	}
	return -1
}

// fullShare is the share of maxmemory above which a master that evicts
// nothing is reported: it refuses every write once full.
const fullShare = 0.9

// MemoryProblem says when master name, under a maxmemory-policy that
// evicts nothing it holds (noeviction, or volatile-* with no key that has
// an expiry), uses fullShare of its maxmemory or more, or all of it; ""
// otherwise. Under a policy that evicts, a full master is a cache doing
// its job.
func MemoryProblem(name string, m redisinfo.Memory) string {
	near, full := m.NearFull(fullShare)
	if !near {
		return ""
	}
	mib := func(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
	policy := "under maxmemory-policy " + m.Policy
	if m.Policy != "noeviction" {
		policy += ", with no key that has an expiry to evict,"
	}
	if full {
		return fmt.Sprintf("master %s is full: it uses %s, its maxmemory is %s, and %s it refuses every write (OOM): raise maxmemory in roma.hcl and apply, or delete keys",
			name, mib(m.Used), mib(m.Max), policy)
	}
	return fmt.Sprintf("master %s uses %.0f%% of its maxmemory (%s of %s): %s it refuses every write (OOM) once full; raise maxmemory in roma.hcl and apply, or delete keys",
		name, math.Floor(100*float64(m.Used)/float64(m.Max)), mib(m.Used), mib(m.Max), policy)
}
