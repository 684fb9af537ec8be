package hclspec

import (
	"fmt"
	"strconv"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/roma-redis/roma/cluster"
)

// validate checks the rules that involve several blocks, and completes the
// model: each node's effective settings are the cluster's merged with its
// own.
func (d *decoder) validate() {
	s := d.spec
	for i := range s.Nodes {
		s.Nodes[i].Redis = s.Redis.Merge(s.Nodes[i].Redis)
	}
	d.checkRefs()
	d.checkAddresses()
	d.checkPartitions()
	if s.Romad != nil && len(s.Status) == 0 {
		d.errorf(d.ranges.romad.Ptr(), "romad needs status nodes",
			`romad elects its alpha and publishes status through status nodes; declare at least one: status "st1" { host = "db1"  port = 7100 }.`)
	}
	if s.Romad != nil {
		for _, rng := range d.ranges.quickSync {
			d.warnf(rng.Ptr(), "Full syncs not held back",
				"With this, a replica syncs at once from a master that died and was started again within down_after (by hand, by a tool, or by a quick reboot), "+
					"replacing its data, the one copy of the master's latest writes, with what the master had saved. "+
					"roma's own repl-diskless-sync-delay 3 (with diskless sync) holds a full sync back 2 to 4 seconds, so that romad promotes the replica first.")
		}
	}
	if n := len(s.Status); n >= 2 && n%2 == 0 {
		last := s.Status[n-1].Name
		d.warnf(d.ranges.status[last].def.Ptr(), "Even number of status nodes",
			fmt.Sprintf("%d status nodes need %d up for a majority: they survive the loss of %d, as %d would. Losing more stops failover and puts every client in HALT. Declare an odd number: %d survive the loss of %d.",
				n, n/2+1, n/2-1, n-1, n+1, n/2))
	}
}

// checkRefs checks every reference to a host, and each database index.
func (d *decoder) checkRefs() {
	s := d.spec
	for _, n := range s.Nodes {
		r := d.ranges.nodes[n.Name]
		if _, ok := s.Host(n.Host); !ok && n.Host != "" {
			d.unknownHost(n.Host, r.host, fmt.Sprintf("node %q", n.Name))
		}
		dbs := 16
		if v, ok := n.Redis["databases"]; ok && len(v.Values) == 1 {
			if x, err := strconv.Atoi(v.Values[0]); err == nil {
				dbs = x
			}
		}
		if n.Database >= dbs {
			d.errorf(r.database.Ptr(), "Database out of range",
				fmt.Sprintf("Node %q uses database %d, but it has %d databases (0 to %d); raise \"databases\" in its redis block or pick a lower index.", n.Name, n.Database, dbs, dbs-1))
		}
	}
	for _, st := range s.Status {
		if _, ok := s.Host(st.Host); !ok && st.Host != "" {
			d.unknownHost(st.Host, d.ranges.status[st.Name].host, fmt.Sprintf("status %q", st.Name))
		}
	}
	if s.Romad != nil {
		for i, h := range s.Romad.Hosts {
			if _, ok := s.Host(h); !ok && i < len(d.ranges.romadHosts) {
				d.unknownHost(h, d.ranges.romadHosts[i], "romad")
			}
		}
	}
	if s.Backup != nil && s.Backup.Host != "" {
		if _, ok := s.Host(s.Backup.Host); !ok {
			d.unknownHost(s.Backup.Host, d.ranges.backupHost, "backup")
		} else if !runsRomad(s, s.Backup.Host) {
			rng := d.ranges.backupHost
			d.warnf(&rng, "Backup host runs no romad",
				fmt.Sprintf("Scheduled backups are taken by the romad on the backup host, which writes them into its own %q; host %q runs no romad, so no backup is scheduled (roma backup still uses this store). Add it to romad { hosts = [...] }, or pick one of them.", s.Backup.Dir, s.Backup.Host))
		}
	}
}

// listener is one TCP port a declared thing listens on.
type listener struct {
	what      string
	partition int // -1 for status nodes and romad
	rng       hcl.Range
}

// checkAddresses checks that no two things listen on one address:port:
// one Redis instance serves one partition, and status nodes and romad's
// HTTP port share nothing with data nodes.
func (d *decoder) checkAddresses() {
	s := d.spec
	seen := map[string]listener{}
	claim := func(host string, port int, l listener) {
		h, ok := s.Host(host)
		if !ok || port == 0 {
			return
		}
		key := fmt.Sprintf("%s:%d", h.Address, port)
		prev, taken := seen[key]
		if !taken {
			seen[key] = l
			return
		}
		if prev.partition >= 0 && l.partition >= 0 && prev.partition != l.partition {
			d.errorf(l.rng.Ptr(), "One Redis instance serving two partitions",
				fmt.Sprintf("%s and %s are both %s (host %q), but serve partitions %d and %d. One Redis instance serves one partition; give %s its own port.",
					prev.what, l.what, key, host, prev.partition, l.partition, l.what))
			return
		}
		d.errorf(l.rng.Ptr(), "Port already in use",
			fmt.Sprintf("%s and %s both listen on %s (host %q, declared at %s). Give each its own port.", prev.what, l.what, key, host, prev.rng))
	}
	for _, n := range s.Nodes {
		claim(n.Host, n.Port, listener{what: fmt.Sprintf("node %q", n.Name), partition: n.Partition, rng: d.ranges.nodes[n.Name].port})
	}
	for _, st := range s.Status {
		claim(st.Host, st.Port, listener{what: fmt.Sprintf("status %q", st.Name), partition: -1, rng: d.ranges.status[st.Name].port})
	}
	if s.Romad != nil {
		for _, h := range s.Romad.Hosts {
			claim(h, s.Romad.HTTPPort, listener{what: fmt.Sprintf("romad's http_port on %q", h), partition: -1, rng: d.ranges.romadHTTPPort})
		}
	}
}

// checkPartitions checks that every partition has a node, and warns when
// all of a partition's nodes share one host (one machine's loss would take
// the partition down) in a cluster that has more than one host.
func (d *decoder) checkPartitions() {
	s := d.spec
	if s.Partitions <= 0 {
		return
	}
	for p := 0; p < s.Partitions; p++ {
		nodes := s.PartitionNodes(p)
		if len(nodes) == 0 {
			if d.ranges.placement == nil {
				d.errorf(d.ranges.partitions.Ptr(), "Partition with no node",
					fmt.Sprintf("Partition %d of %d has no node. Every partition 0 to %d needs at least one node.", p, s.Partitions, s.Partitions-1))
			}
			continue
		}
		hosts := map[string]bool{}
		for _, n := range nodes {
			hosts[n.Host] = true
		}
		if len(hosts) == 1 && len(s.Hosts) > 1 {
			d.warnf(d.ranges.nodes[nodes[0].Name].def.Ptr(), "Partition on a single host",
				fmt.Sprintf("All nodes of partition %d are on host %q: losing that host loses the partition. Add a replica on another host.", p, nodes[0].Host))
		}
	}
	for _, n := range s.Nodes {
		if n.Partition >= s.Partitions {
			d.errorf(d.ranges.nodes[n.Name].partition.Ptr(), "No such partition",
				fmt.Sprintf("Node %q is in partition %d, but the cluster has %d partitions, numbered 0 to %d.", n.Name, n.Partition, s.Partitions, s.Partitions-1))
		}
	}
}

func parseDefaultDuration(s string) (time.Duration, error) { return time.ParseDuration(s) }

// runsRomad reports whether romad runs on host.
func runsRomad(s *cluster.Spec, host string) bool {
	if s.Romad == nil {
		return false
	}
	for _, h := range s.Romad.Hosts {
		if h == host {
			return true
		}
	}
	return false
}
