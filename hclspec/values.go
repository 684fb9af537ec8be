package hclspec

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/gocty"
)

// decodeValue evaluates a's expression, converts it to ty and stores it in
// target (a pointer to a Go value of the matching kind).
func decodeValue(a *hcl.Attribute, ctx *hcl.EvalContext, ty cty.Type, target any) hcl.Diagnostics {
	val, diags := plainValue(a, ctx)
	if diags.HasErrors() {
		return diags
	}
	return convertValue(a, ctx, val, diags, ty, target)
}

// decodeMaybeSensitive is decodeValue for the few plain attributes that may
// hold a secret (a webhook URL, an SMTP user name).
func decodeMaybeSensitive(a *hcl.Attribute, ctx *hcl.EvalContext, ty cty.Type, target any) hcl.Diagnostics {
	val, diags := a.Expr.Value(ctx)
	if diags.HasErrors() {
		return diags
	}
	val, _ = val.UnmarkDeep()
	return convertValue(a, ctx, val, diags, ty, target)
}

// plainValue evaluates the expression of an attribute whose value roma
// shows (names, addresses, paths, ports, durations). A value derived from a
// sensitive variable is an error there: validate, plan and status would
// print it. Secrets belong in password attributes and redis blocks.
func plainValue(a *hcl.Attribute, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	val, diags := a.Expr.Value(ctx)
	if diags.HasErrors() {
		return val, diags
	}
	if val.ContainsMarked() {
		return cty.DynamicVal, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Sensitive value not allowed here",
			Detail: fmt.Sprintf("The value of %q comes from a sensitive variable, and roma prints %q in its output. "+
				"Sensitive values may be used only in a password attribute or a redis block.", a.Name, a.Name),
			Subject: a.Expr.Range().Ptr()})
	}
	return val, diags
}

func convertValue(a *hcl.Attribute, ctx *hcl.EvalContext, val cty.Value, diags hcl.Diagnostics, ty cty.Type, target any) hcl.Diagnostics {
	conv, err := convert.Convert(val, ty)
	if err != nil || conv.IsNull() {
		what := "null"
		if err != nil {
			what = err.Error()
		}
		return append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Incorrect attribute value type",
			Detail:  fmt.Sprintf("Inappropriate value for attribute %q: %s is required, got %s.", a.Name, friendlyType(ty), what),
			Subject: a.Expr.Range().Ptr(), Expression: a.Expr, EvalContext: ctx})
	}
	if !conv.IsWhollyKnown() {
		return append(diags, alreadyReported(a))
	}
	if err := gocty.FromCtyValue(conv, target); err != nil {
		return append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid attribute value",
			Detail: fmt.Sprintf("Inappropriate value for attribute %q: %s.", a.Name, err), Subject: a.Expr.Range().Ptr()})
	}
	return diags
}

// reported marks the stand-in error of alreadyReported.
type reported struct{}

// alreadyReported is the error for an attribute whose value is unknown. A
// value is unknown only when it comes from a variable or local whose error
// has already been reported (unset, or of the wrong type), so this error
// only stops what depends on the attribute from being checked; decode drops
// it before returning its diagnostics.
func alreadyReported(a *hcl.Attribute) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown value",
		Detail: fmt.Sprintf("The value of %q is not known.", a.Name), Subject: a.Expr.Range().Ptr(), Extra: reported{}}
}

// dropReported removes the stand-ins made by alreadyReported, and hcl's
// own errors about unknown dynamic block labels, which likewise follow
// from an error already reported. Should nothing else be an error, diags
// are returned whole: an invalid configuration never looks valid.
func dropReported(diags hcl.Diagnostics) hcl.Diagnostics {
	out := diags[:0:0]
	for _, d := range diags {
		_, stand := d.Extra.(reported)
		unknownLabel := d.Summary == "Invalid dynamic block label" && strings.Contains(d.Detail, "not yet known")
		if !stand && !unknownLabel {
			out = append(out, d)
		}
	}
	if diags.HasErrors() && !out.HasErrors() {
		return diags
	}
	return out
}

// decodeInt decodes a whole number and checks it lies in [lo, hi].
func decodeInt(a *hcl.Attribute, ctx *hcl.EvalContext, lo, hi int, what string) (int, hcl.Diagnostics) {
	val, diags := plainValue(a, ctx)
	if diags.HasErrors() {
		return 0, diags
	}
	conv, err := convert.Convert(val, cty.Number)
	if err == nil && !conv.IsKnown() {
		return 0, append(diags, alreadyReported(a))
	}
	if err != nil || conv.IsNull() {
		return 0, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Incorrect attribute value type",
			Detail:  fmt.Sprintf("Inappropriate value for attribute %q: %s must be a whole number.", a.Name, what),
			Subject: a.Expr.Range().Ptr()})
	}
	bf := conv.AsBigFloat()
	n, acc := bf.Int64()
	if !bf.IsInt() || acc != big.Exact || n < int64(lo) || n > int64(hi) {
		return 0, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Value out of range",
			Detail:  fmt.Sprintf("%s must be a whole number from %d to %d; got %s.", what, lo, hi, bf.Text('g', 10)),
			Subject: a.Expr.Range().Ptr()})
	}
	return int(n), diags
}

// decodeDuration decodes a Go duration string such as "5s" or "6h".
func decodeDuration(a *hcl.Attribute, ctx *hcl.EvalContext) (time.Duration, hcl.Diagnostics) {
	var s string
	diags := decodeValue(a, ctx, cty.String, &s)
	if diags.HasErrors() {
		return 0, diags
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid duration",
			Detail:  fmt.Sprintf("%q must be a positive duration such as \"500ms\", \"5s\", \"10m\" or \"6h\"; got %q.", a.Name, s),
			Subject: a.Expr.Range().Ptr()})
	}
	return d, diags
}

// decodeOneOf decodes a string that must be one of allowed.
func decodeOneOf(a *hcl.Attribute, ctx *hcl.EvalContext, allowed ...string) (string, hcl.Diagnostics) {
	var s string
	diags := decodeValue(a, ctx, cty.String, &s)
	if diags.HasErrors() {
		return "", diags
	}
	for _, ok := range allowed {
		if s == ok {
			return s, diags
		}
	}
	return "", append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("Invalid %s", a.Name),
		Detail:  fmt.Sprintf("%q must be one of %s; got %q.%s", a.Name, quoteList(allowed), s, didYouMean(s, allowed)),
		Subject: a.Expr.Range().Ptr()})
}

func friendlyType(ty cty.Type) string {
	switch {
	case ty == cty.String:
		return "a string"
	case ty == cty.Number:
		return "a number"
	case ty == cty.Bool:
		return "a bool"
	case ty.IsListType():
		return "a list of " + strings.TrimPrefix(friendlyType(ty.ElementType()), "a ") + "s"
	}
	return ty.FriendlyName()
}

func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// didYouMean returns " Did you mean "x"?" when a candidate is close to
// given, else "".
func didYouMean(given string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := levenshtein.Distance(given, c, nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}

func duplicateDiag(kind, name string, at, first hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("Duplicate %s %q", kind, name),
		Detail:  fmt.Sprintf("A %s named %q was already declared at %s. Each %s needs a unique name.", kind, name, first, kind),
		Subject: at.Ptr()}
}
