package hclspec

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

var clusterSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "partitions", Required: true}, {Name: "hash"}, {Name: "password"}, {Name: "previous_password"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "redis"}},
}

// minPasswordLen is the shortest cluster password accepted: anything
// shorter gives no protection and could not be scrubbed from messages.
const minPasswordLen = 8

func (d *decoder) decodeCluster(blocks hcl.Blocks, missing hcl.Range) {
	b := d.single(blocks, "cluster")
	if b == nil {
		d.errorf(missing.Ptr(), "Missing cluster block",
			`roma.hcl must declare one cluster block: cluster "NAME" { partitions = N }.`)
		return
	}
	s := d.spec
	s.Name = b.Labels[0]
	s.Hash = "jump"
	d.ranges.cluster = b.DefRange
	if !validName(s.Name) {
		d.errorf(b.LabelRanges[0].Ptr(), "Invalid cluster name",
			"A cluster name must start with a letter and contain only letters, digits, '-' and '_' (it prefixes status keys).")
	}
	content, diags := b.Body.Content(clusterSchema)
	d.add(diags)
	if a, ok := content.Attributes["partitions"]; ok {
		d.ranges.partitions = a.Expr.Range()
		n, diags := decodeInt(a, d.ctx, 1, 16384, "partitions (the number of partitions)")
		d.add(diags)
		s.Partitions = n
	}
	if a, ok := content.Attributes["hash"]; ok {
		var h string
		diags := decodeValue(a, d.ctx, cty.String, &h)
		d.add(diags)
		if !diags.HasErrors() {
			if err := checkHash(h); err != "" {
				d.errorf(a.Expr.Range().Ptr(), "Invalid hash function", err)
			} else {
				s.Hash = h
			}
		}
	}
	if a, ok := content.Attributes["password"]; ok {
		pw, diags := decodeSecret(a, d.ctx)
		d.add(diags)
		if pw.IsSet() && len(pw.Reveal()) < minPasswordLen || !diags.HasErrors() && isEmptyString(a, d.ctx) {
			d.errorf(a.Expr.Range().Ptr(), "Password too short",
				fmt.Sprintf("The cluster password must be at least %d characters long.", minPasswordLen))
		}
		s.Password = pw
	}
	if a, ok := content.Attributes["previous_password"]; ok {
		prev, diags := decodeSecret(a, d.ctx)
		d.add(diags)
		_, hasPassword := content.Attributes["password"]
		switch {
		case diags.HasErrors():
		case !hasPassword:
			d.errorf(a.Expr.Range().Ptr(), "Previous password without a password",
				"previous_password is the password a rotation replaces: it needs the new one in password.")
		case prev.IsSet() && len(prev.Reveal()) < minPasswordLen || isEmptyString(a, d.ctx):
			d.errorf(a.Expr.Range().Ptr(), "Password too short",
				fmt.Sprintf("The previous password must be at least %d characters long.", minPasswordLen))
		case !prev.IsSet() || !s.Password.IsSet():
			// A value not known: a variable without one, reported as such.
		case prev.Reveal() == s.Password.Reveal():
			d.errorf(a.Expr.Range().Ptr(), "Previous password is the password",
				"previous_password must differ from password: it is the one being replaced. Remove it once every client uses the new password.")
		default:
			s.Password = s.Password.WithPrevious(prev)
		}
	}
	s.Redis = d.decodeRedisBlocks(content.Blocks.OfType("redis"))
}

// checkHash returns "" when h names a hash function, else the reason.
func checkHash(h string) string {
	switch {
	case h == "jump" || h == "modulo":
		return ""
	case strings.HasPrefix(h, "exec:"):
		if strings.TrimSpace(strings.TrimPrefix(h, "exec:")) == "" {
			return `"exec:" must be followed by the path of the program: "exec:/usr/local/bin/myhash".`
		}
		return ""
	}
	return fmt.Sprintf(`Unknown hash function %q: use "jump" (the default), "modulo" or "exec:/path/to/program".%s`,
		h, didYouMean(h, []string{"jump", "modulo"}))
}

// validName reports whether s is usable as a resource name: it appears in
// file names, status keys and resource addresses.
func validName(s string) bool {
	if s == "" || !hclsyntax.ValidIdentifier(s) {
		return false
	}
	return !strings.ContainsAny(s, ".:/ ")
}

// isEmptyString reports whether a evaluates to a known empty string.
func isEmptyString(a *hcl.Attribute, ctx *hcl.EvalContext) bool {
	v, diags := a.Expr.Value(ctx)
	if diags.HasErrors() || !v.IsWhollyKnown() {
		return false
	}
	v, _ = v.UnmarkDeep()
	return v.Type() == cty.String && !v.IsNull() && v.AsString() == ""
}
