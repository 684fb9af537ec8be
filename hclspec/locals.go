package hclspec

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// decodeLocals evaluates the locals blocks. A local may use variables and
// other locals in any order; a cycle is an error naming its members.
func decodeLocals(blocks hcl.Blocks, ctx *hcl.EvalContext) (map[string]cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	pending := map[string]*hcl.Attribute{}
	for _, b := range blocks {
		attrs, d := b.Body.JustAttributes()
		diags = append(diags, d...)
		for name, a := range attrs {
			if prev, dup := pending[name]; dup {
				diags = append(diags, duplicateDiag("local value", name, a.NameRange, prev.NameRange))
				continue
			}
			pending[name] = a
		}
	}
	values := map[string]cty.Value{}
	for len(pending) > 0 {
		progress := false
		for _, name := range sortedKeys(pending) {
			a := pending[name]
			if !localsReady(a, pending) {
				continue
			}
			child := ctx.NewChild()
			child.Variables = map[string]cty.Value{"local": cty.ObjectVal(values)}
			val, d := a.Expr.Value(child)
			diags = append(diags, d...)
			if d.HasErrors() {
				val = cty.DynamicVal
			}
			values[name] = val
			delete(pending, name)
			progress = true
		}
		if !progress {
			names := sortedKeys(pending)
			a := pending[names[0]]
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cycle in local values",
				Detail: fmt.Sprintf("These local values refer to each other: %v.", names), Subject: a.Expr.Range().Ptr()})
			break
		}
	}
	return values, diags
}

// localsReady reports whether every local that a refers to is evaluated.
func localsReady(a *hcl.Attribute, pending map[string]*hcl.Attribute) bool {
	for _, tr := range a.Expr.Variables() {
		if tr.RootName() != "local" || len(tr) < 2 {
			continue
		}
		if at, ok := tr[1].(hcl.TraverseAttr); ok {
			if _, waiting := pending[at.Name]; waiting && at.Name != a.Name {
				return false
			}
			if at.Name == a.Name {
				return false
			}
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
