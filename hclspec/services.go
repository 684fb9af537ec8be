package hclspec

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/roma-redis/roma/cluster"
	"github.com/zclconf/go-cty/cty"
)

var romadSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "hosts", Required: true}, {Name: "down_after"}, {Name: "http_port"}},
}

var backupSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "every", Required: true}, {Name: "keep"}, {Name: "host", Required: true}, {Name: "dir", Required: true}},
}

var alertSchemas = map[string]*hcl.BodySchema{
	"email": {Attributes: []hcl.AttributeSchema{
		{Name: "smtp", Required: true}, {Name: "from", Required: true}, {Name: "to", Required: true},
		{Name: "username"}, {Name: "password"}, {Name: "down_for"},
	}},
	"webhook": {Attributes: []hcl.AttributeSchema{{Name: "url", Required: true}, {Name: "down_for"}}},
}

// Defaults for the optional service settings.
const (
	DefaultDownAfter = "5s"
	DefaultHTTPPort  = 9640
	DefaultKeep      = 14
	DefaultDownFor   = "60s"
)

func (d *decoder) decodeRomad(blocks hcl.Blocks) {
	b := d.single(blocks, "romad")
	if b == nil {
		return
	}
	r := &cluster.Romad{HTTPPort: DefaultHTTPPort}
	r.DownAfter, _ = parseDefaultDuration(DefaultDownAfter)
	d.ranges.romad = b.DefRange
	content, diags := b.Body.Content(romadSchema)
	d.add(diags)
	if a, ok := content.Attributes["hosts"]; ok {
		diags := decodeValue(a, d.ctx, cty.List(cty.String), &r.Hosts)
		d.add(diags)
		if !diags.HasErrors() {
			d.ranges.romadHosts = elementRanges(a, len(r.Hosts))
			if len(r.Hosts) == 0 {
				d.errorf(a.Expr.Range().Ptr(), "No romad hosts", "romad needs at least one host; three on separate hosts survive the loss of one.")
			}
		}
	}
	if a, ok := content.Attributes["down_after"]; ok {
		v, diags := decodeDuration(a, d.ctx)
		d.add(diags)
		if v > 0 {
			r.DownAfter = v
		}
	}
	d.ranges.romadHTTPPort = b.DefRange
	if a, ok := content.Attributes["http_port"]; ok {
		d.ranges.romadHTTPPort = a.Expr.Range()
		r.HTTPPort = d.port(a, new(hcl.Range))
	}
	d.spec.Romad = r
}

// elementRanges returns the range of each element of a list expression,
// or the whole expression's range when the elements are not literal.
func elementRanges(a *hcl.Attribute, n int) []hcl.Range {
	out := make([]hcl.Range, n)
	exprs, diags := hcl.ExprList(a.Expr)
	for i := range out {
		out[i] = a.Expr.Range()
		if !diags.HasErrors() && len(exprs) == n {
			out[i] = exprs[i].Range()
		}
	}
	return out
}

func (d *decoder) decodeBackup(blocks hcl.Blocks) {
	b := d.single(blocks, "backup")
	if b == nil {
		return
	}
	bk := &cluster.Backup{Keep: DefaultKeep}
	content, diags := b.Body.Content(backupSchema)
	d.add(diags)
	if a, ok := content.Attributes["every"]; ok {
		v, diags := decodeDuration(a, d.ctx)
		d.add(diags)
		bk.Every = v
	}
	if a, ok := content.Attributes["keep"]; ok {
		k, diags := decodeInt(a, d.ctx, 1, 100000, "keep (backups to keep)")
		d.add(diags)
		bk.Keep = k
	}
	bk.Host = d.hostRef(content.Attributes["host"], &d.ranges.backupHost)
	if a, ok := content.Attributes["dir"]; ok {
		diags := decodeValue(a, d.ctx, cty.String, &bk.Dir)
		d.add(diags)
		if !diags.HasErrors() && !strings.HasPrefix(bk.Dir, "/") {
			d.errorf(a.Expr.Range().Ptr(), "Relative backup dir", fmt.Sprintf("The backup dir must be an absolute path on the backup host; got %q.", bk.Dir))
		}
	}
	d.spec.Backup = bk
}

func (d *decoder) decodeAlert(b *hcl.Block) {
	kind := b.Labels[0]
	schema, ok := alertSchemas[kind]
	if !ok {
		d.errorf(b.LabelRanges[0].Ptr(), "Unknown alert kind",
			fmt.Sprintf("Alerts are \"email\" or \"webhook\"; got %q.%s", kind, didYouMean(kind, []string{"email", "webhook"})))
		return
	}
	al := cluster.Alert{Kind: kind}
	al.DownFor, _ = parseDefaultDuration(DefaultDownFor)
	content, diags := b.Body.Content(schema)
	d.add(diags)
	for name, target := range map[string]*string{"smtp": &al.SMTP, "from": &al.From} {
		if a, ok := content.Attributes[name]; ok {
			d.add(decodeValue(a, d.ctx, cty.String, target))
		}
	}
	for name, target := range map[string]*string{"username": &al.Username, "url": &al.URL} {
		if a, ok := content.Attributes[name]; ok {
			d.add(decodeMaybeSensitive(a, d.ctx, cty.String, target))
		}
	}
	if a, ok := content.Attributes["to"]; ok {
		diags := decodeValue(a, d.ctx, cty.List(cty.String), &al.To)
		d.add(diags)
		if !diags.HasErrors() && len(al.To) == 0 {
			d.errorf(a.Expr.Range().Ptr(), "No recipients", "An email alert needs at least one address in \"to\".")
		}
	}
	if a, ok := content.Attributes["smtp"]; ok && al.SMTP != "" && !strings.Contains(al.SMTP, ":") {
		d.errorf(a.Expr.Range().Ptr(), "Invalid smtp address", fmt.Sprintf("smtp must be host:port, such as \"smtp.example.com:587\"; got %q.", al.SMTP))
	}
	if a, ok := content.Attributes["url"]; ok && al.URL != "" && !strings.HasPrefix(al.URL, "http://") && !strings.HasPrefix(al.URL, "https://") {
		d.errorf(a.Expr.Range().Ptr(), "Invalid webhook url", fmt.Sprintf("url must start with http:// or https://; got %q.", al.URL))
	}
	if a, ok := content.Attributes["password"]; ok {
		pw, diags := decodeSecret(a, d.ctx)
		d.add(diags)
		al.Password = pw
	}
	if a, ok := content.Attributes["down_for"]; ok {
		v, diags := decodeDuration(a, d.ctx)
		d.add(diags)
		if v > 0 {
			al.DownFor = v
		}
	}
	d.spec.Alerts = append(d.spec.Alerts, al)
}
