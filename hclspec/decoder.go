package hclspec

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/roma-redis/roma/cluster"
)

// decoder accumulates the Spec and every diagnostic while the blocks are
// decoded, and remembers where each thing was declared for the cross-block
// rules.
type decoder struct {
	ctx    *hcl.EvalContext
	dir    string
	spec   *cluster.Spec
	diags  hcl.Diagnostics
	ranges *ranges
}

// ranges records source ranges by name, for diagnostics that point at
// one block from another.
type ranges struct {
	cluster       hcl.Range
	partitions    hcl.Range
	hosts         map[string]hcl.Range // host label
	nodes         map[string]nodeRanges
	status        map[string]nodeRanges
	romadHosts    []hcl.Range
	romadHTTPPort hcl.Range
	romad         hcl.Range
	backupHost    hcl.Range
	placement     *hcl.Range
	// quickSync are the redis settings that start a full sync at once:
	// with romad, a warning (see validate).
	quickSync []hcl.Range
}

// nodeRanges are the ranges of a node or status block and its attributes.
type nodeRanges struct {
	label, def, host, port, partition, database hcl.Range
}

func newRanges() *ranges {
	return &ranges{hosts: map[string]hcl.Range{}, nodes: map[string]nodeRanges{}, status: map[string]nodeRanges{}}
}

func (d *decoder) add(diags hcl.Diagnostics) { d.diags = append(d.diags, diags...) }

func (d *decoder) errorf(rng *hcl.Range, summary, detail string) {
	d.diags = append(d.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng})
}

func (d *decoder) warnf(rng *hcl.Range, summary, detail string) {
	d.diags = append(d.diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: summary, Detail: detail, Subject: rng})
}

// decodeAll decodes every top-level block, then checks the rules that
// involve several blocks.
func (d *decoder) decodeAll(content *hcl.BodyContent) {
	d.decodeCluster(content.Blocks.OfType("cluster"), content.MissingItemRange)
	for _, b := range content.Blocks.OfType("host") {
		d.decodeHost(b)
	}
	for _, b := range content.Blocks.OfType("node") {
		d.decodeNode(b)
	}
	d.decodePlacements(content.Blocks.OfType("placement"))
	for _, b := range content.Blocks.OfType("status") {
		d.decodeStatus(b)
	}
	d.decodeRomad(content.Blocks.OfType("romad"))
	d.decodeBackup(content.Blocks.OfType("backup"))
	for _, b := range content.Blocks.OfType("alert") {
		d.decodeAlert(b)
	}
	d.validate()
}

// single returns the only block of a kind, reporting any extra ones.
func (d *decoder) single(blocks hcl.Blocks, kind string) *hcl.Block {
	if len(blocks) == 0 {
		return nil
	}
	for _, b := range blocks[1:] {
		d.errorf(b.DefRange.Ptr(), "Duplicate "+kind+" block",
			"Only one "+kind+" block is allowed; the first is at "+blocks[0].DefRange.String()+".")
	}
	return blocks[0]
}
