package hclspec

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconf"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// decodeRedisBlocks reads redis { directive = value } blocks into
// Settings. Names are redis.conf directives; values are strings, numbers,
// bools (yes/no) or, for directives that repeat, lists of strings.
func (d *decoder) decodeRedisBlocks(blocks hcl.Blocks) cluster.Settings {
	b := d.single(blocks, "redis")
	out := cluster.Settings{}
	if b == nil {
		return out
	}
	attrs, diags := b.Body.JustAttributes()
	d.add(diags)
	for _, name := range sortedKeys(attrs) {
		a := attrs[name]
		key := strings.ToLower(name)
		if !redisconf.Known(key) {
			d.errorf(a.NameRange.Ptr(), "Unknown redis.conf directive",
				fmt.Sprintf("%q is not a Redis 7 configuration directive.%s", name, didYouMean(key, redisconf.All())))
			continue
		}
		if instead, ok := redisconf.Managed(key); ok {
			d.errorf(a.NameRange.Ptr(), "Directive managed by roma",
				fmt.Sprintf("roma sets %q itself; use %s.", name, instead))
			continue
		}
		set, diags := settingValue(a, d.ctx, key)
		d.add(diags)
		if !diags.HasErrors() {
			out[key] = set
			if quickSync(key, set) {
				d.ranges.quickSync = append(d.ranges.quickSync, a.Range)
			}
		}
	}
	return out
}

func settingValue(a *hcl.Attribute, ctx *hcl.EvalContext, key string) (cluster.Setting, hcl.Diagnostics) {
	val, diags := a.Expr.Value(ctx)
	if diags.HasErrors() || !val.IsWhollyKnown() {
		return cluster.Setting{}, diags
	}
	val, marks := val.UnmarkDeep()
	// A value from a sensitive variable, or a secret however it is given
	// (a TLS key's pass, a user rule's password: redisconf.SecretValue), is
	// rendered, never printed.
	set := cluster.Setting{Sensitive: len(marks) > 0 || redisconf.Secret(key)}
	bad := func(why string) (cluster.Setting, hcl.Diagnostics) {
		return set, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid redis.conf value",
			Detail: fmt.Sprintf("The value of %q %s.", a.Name, why), Subject: a.Expr.Range().Ptr()})
	}
	if val.IsNull() {
		return bad("is null")
	}
	ty := val.Type()
	if ty.IsListType() || ty.IsTupleType() || ty.IsSetType() {
		if !redisconf.MultiValued(key) {
			return bad("must be a single value: this directive cannot be repeated")
		}
		// Each element's own range, when the list is written out.
		elems, ediags := hcl.ExprList(a.Expr)
		for i, it := 0, val.ElementIterator(); it.Next(); i++ {
			_, e := it.Element()
			s, ok := scalarString(e)
			if !ok {
				return bad("must be a list of strings or numbers")
			}
			if why := valueProblem(key, s); why != "" {
				subject := a.Expr.Range()
				if !ediags.HasErrors() && len(elems) == val.LengthInt() {
					subject = elems[i].Range()
				}
				return set, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid redis.conf value",
					Detail: fmt.Sprintf("Element %d of %q %s.", i+1, a.Name, why), Subject: subject.Ptr()})
			}
			set.Values = append(set.Values, s)
		}
		set.Sensitive = set.Sensitive || redisconf.SecretValue(key, set.Values)
		if len(set.Values) == 0 && key != "save" {
			return bad("is an empty list")
		}
		if len(set.Values) == 0 {
			set.Values = []string{""} // save "" turns snapshots off
		}
		return set, diags
	}
	s, ok := scalarString(val)
	if !ok {
		return bad("must be a string, number or bool")
	}
	if strings.ContainsAny(s, "\n\r") {
		return bad("must not contain a line break") // no value shown: it would break the line
	}
	set.Sensitive = set.Sensitive || redisconf.SecretValue(key, []string{s})
	if why := valueProblem(key, s); why != "" {
		if set.Sensitive {
			return bad(why)
		}
		return bad(fmt.Sprintf("%s, not %q", why, s))
	}
	set.Values = []string{s}
	return set, diags
}

// valueProblem says why s cannot be a value of directive key, or "".
func valueProblem(key, s string) string {
	if strings.ContainsAny(s, "\n\r") {
		return "must not contain a line break"
	}
	if err := redisconf.CheckValue(key, s); err != nil {
		return err.Error()
	}
	return ""
}

// scalarString renders a string, number or bool the way redis.conf
// spells it: whole numbers without exponent, bools as yes/no.
func scalarString(v cty.Value) (string, bool) {
	if v.IsNull() || !v.IsKnown() {
		return "", false
	}
	switch v.Type() {
	case cty.String:
		return v.AsString(), true
	case cty.Bool:
		if v.True() {
			return "yes", true
		}
		return "no", true
	case cty.Number:
		bf := v.AsBigFloat()
		if bf.IsInt() {
			i, _ := bf.Int(nil)
			return i.String(), true
		}
		return bf.Text('f', -1), true
	}
	if s, err := convert.Convert(v, cty.String); err == nil {
		return s.AsString(), true
	}
	return "", false
}

// decodeSecret decodes a string attribute that must never be printed.
func decodeSecret(a *hcl.Attribute, ctx *hcl.EvalContext) (cluster.Secret, hcl.Diagnostics) {
	val, diags := a.Expr.Value(ctx)
	if diags.HasErrors() || !val.IsWhollyKnown() {
		return cluster.Secret{}, diags
	}
	val, _ = val.UnmarkDeep()
	s, err := convert.Convert(val, cty.String)
	if err != nil || s.IsNull() {
		return cluster.Secret{}, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Incorrect attribute value type",
			Detail: fmt.Sprintf("Inappropriate value for attribute %q: a string is required.", a.Name), Subject: a.Expr.Range().Ptr()})
	}
	if strings.ContainsAny(s.AsString(), "\n\r\" ") {
		return cluster.Secret{}, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid password",
			Detail: fmt.Sprintf("%q must not contain spaces, quotes or line breaks.", a.Name), Subject: a.Expr.Range().Ptr()})
	}
	return cluster.NewSecret(s.AsString()), diags
}

// quickSync reports whether a redis setting has a full sync start at once
// (or within a second): a disk-based sync, or no diskless-sync delay.
// romad needs the 2 to 4 seconds that roma's repl-diskless-sync-delay 3
// gives it to promote a replica before it syncs from a master that
// restarted without its data.
func quickSync(key string, set cluster.Setting) bool {
	if len(set.Values) != 1 {
		return false
	}
	v := strings.ToLower(set.Values[0])
	switch key {
	case "repl-diskless-sync":
		return v == "no"
	case "repl-diskless-sync-delay":
		return v == "0" || v == "1"
	}
	return false
}
