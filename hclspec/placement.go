package hclspec

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/roma-redis/roma/cluster"
	"github.com/zclconf/go-cty/cty"
)

var placementSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "hosts", Required: true}, {Name: "replicas"}, {Name: "base_port"}, {Name: "database"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "redis"}},
}

// decodePlacements expands placement blocks into data nodes. A placement
// gives every partition `replicas` nodes (master included), each on a
// distinct host: node r of partition p goes on hosts[(p+r) % len(hosts)],
// so masters (r = 0) spread evenly and each replica sits on the next host
// round the ring. Each host's ports count up from base_port in partition
// order, so adding partitions never moves an existing node. Nodes are
// named "<host>-<port>".
func (d *decoder) decodePlacements(blocks hcl.Blocks) {
	b := d.single(blocks, "placement")
	if b == nil {
		return
	}
	d.ranges.placement = b.DefRange.Ptr()
	content, diags := b.Body.Content(placementSchema)
	d.add(diags)
	var hosts []string
	if a, ok := content.Attributes["hosts"]; ok {
		diags := decodeValue(a, d.ctx, cty.List(cty.String), &hosts)
		d.add(diags)
		if diags.HasErrors() {
			return
		}
		for i, rng := range elementRanges(a, len(hosts)) {
			if _, ok := d.ranges.hosts[hosts[i]]; !ok {
				d.unknownHost(hosts[i], rng, "placement")
				return
			}
		}
		if len(hosts) == 0 {
			d.errorf(a.Expr.Range().Ptr(), "No placement hosts", "placement needs at least one host.")
			return
		}
	}
	replicas, basePort, database := 2, 7000, 0
	attr := func(name string, lo, hi int, what string, target *int) hcl.Range {
		a, ok := content.Attributes[name]
		if !ok {
			return b.DefRange
		}
		v, diags := decodeInt(a, d.ctx, lo, hi, what)
		d.add(diags)
		if !diags.HasErrors() {
			*target = v
		}
		return a.Expr.Range()
	}
	replicasRange := attr("replicas", 1, 64, "replicas (nodes per partition)", &replicas)
	portRange := attr("base_port", 1, 65535, "base_port", &basePort)
	dbRange := attr("database", 0, maxDatabase, "database", &database)
	if replicas > len(hosts) {
		d.errorf(replicasRange.Ptr(), "Not enough hosts",
			fmt.Sprintf("placement puts each of a partition's %d nodes on its own host, but lists only %d hosts.", replicas, len(hosts)))
		return
	}
	redis := d.decodeRedisBlocks(content.Blocks.OfType("redis"))
	next := map[string]int{}
	for p := 0; p < d.spec.Partitions; p++ {
		for r := 0; r < replicas; r++ {
			host := hosts[(p+r)%len(hosts)]
			port := basePort + next[host]
			next[host]++
			if port > 65535 {
				d.errorf(portRange.Ptr(), "Value out of range", fmt.Sprintf("placement runs out of ports on host %q past 65535.", host))
				return
			}
			name := fmt.Sprintf("%s-%d", host, port)
			if prev, dup := d.ranges.nodes[name]; dup {
				d.add(hcl.Diagnostics{duplicateDiag("node", name, b.DefRange, prev.label)})
				continue
			}
			d.ranges.nodes[name] = nodeRanges{label: b.DefRange, def: b.DefRange, host: b.DefRange, port: portRange, partition: b.DefRange, database: dbRange}
			d.spec.Nodes = append(d.spec.Nodes, cluster.Node{Name: name, Host: host, Port: port, Partition: p, Database: database, Redis: redis})
		}
	}
}
