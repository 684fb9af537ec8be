package hclspec

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/roma-redis/roma/cluster"
	"github.com/zclconf/go-cty/cty"
)

var nodeSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "host", Required: true}, {Name: "port", Required: true},
		{Name: "partition", Required: true}, {Name: "database"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "redis"}},
}

var statusSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "host", Required: true}, {Name: "port", Required: true}},
}

// maxDatabase bounds the database index; the validator checks it against
// the node's effective "databases" setting.
const maxDatabase = 1 << 20

func (d *decoder) decodeNode(b *hcl.Block) {
	n := cluster.Node{Name: b.Labels[0]}
	if d.claimName(b, n.Name) {
		return
	}
	r := nodeRanges{label: b.LabelRanges[0], def: b.DefRange}
	content, diags := b.Body.Content(nodeSchema)
	d.add(diags)
	n.Host = d.hostRef(content.Attributes["host"], &r.host)
	n.Port = d.port(content.Attributes["port"], &r.port)
	n.Partition = -1
	if a, ok := content.Attributes["partition"]; ok {
		r.partition = a.Expr.Range()
		p, diags := decodeInt(a, d.ctx, 0, 16383, "partition")
		d.add(diags)
		if !diags.HasErrors() {
			n.Partition = p
		}
	}
	if a, ok := content.Attributes["database"]; ok {
		r.database = a.Expr.Range()
		db, diags := decodeInt(a, d.ctx, 0, maxDatabase, "database")
		d.add(diags)
		n.Database = db
	}
	n.Redis = d.decodeRedisBlocks(content.Blocks.OfType("redis"))
	d.ranges.nodes[n.Name] = r
	d.spec.Nodes = append(d.spec.Nodes, n)
}

func (d *decoder) decodeStatus(b *hcl.Block) {
	st := cluster.StatusNode{Name: b.Labels[0]}
	if d.claimName(b, st.Name) {
		return
	}
	r := nodeRanges{label: b.LabelRanges[0], def: b.DefRange}
	content, diags := b.Body.Content(statusSchema)
	d.add(diags)
	st.Host = d.hostRef(content.Attributes["host"], &r.host)
	st.Port = d.port(content.Attributes["port"], &r.port)
	d.ranges.status[st.Name] = r
	d.spec.Status = append(d.spec.Status, st)
}

// claimName records a node or status name, reporting a duplicate (data and
// status nodes share one namespace: their files live side by side).
func (d *decoder) claimName(b *hcl.Block, name string) (dup bool) {
	if !validName(name) {
		d.errorf(b.LabelRanges[0].Ptr(), "Invalid node name",
			"A node name must start with a letter and contain only letters, digits, '-' and '_' (it names files on the host).")
	}
	prev, isNode := d.ranges.nodes[name]
	if !isNode {
		prev, isNode = d.ranges.status[name]
	}
	if isNode {
		d.add(hcl.Diagnostics{duplicateDiag(b.Type, name, b.LabelRanges[0], prev.label)})
		return true
	}
	return false
}

// hostRef decodes a reference to a host by name, recording its range; the
// validator checks that the host exists.
func (d *decoder) hostRef(a *hcl.Attribute, rng *hcl.Range) string {
	if a == nil {
		return ""
	}
	*rng = a.Expr.Range()
	var h string
	d.add(decodeValue(a, d.ctx, cty.String, &h))
	return h
}

func (d *decoder) port(a *hcl.Attribute, rng *hcl.Range) int {
	if a == nil {
		return 0
	}
	*rng = a.Expr.Range()
	p, diags := decodeInt(a, d.ctx, 1, 65535, "port")
	d.add(diags)
	return p
}

// unknownHost reports a reference to an undeclared host.
func (d *decoder) unknownHost(name string, rng hcl.Range, what string) {
	d.errorf(rng.Ptr(), "Unknown host",
		fmt.Sprintf("%s refers to host %q, which is not declared.%s", what, name, didYouMean(name, sortedKeys(d.ranges.hosts))))
}
