package hclspec

import (
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// sensitiveMark marks cty values that came from sensitive variables. Marks
// follow values through expressions and functions, so anything derived from
// a secret stays marked.
const sensitiveMark = "sensitive"

// envVarPrefix prefixes the environment variables that set roma.hcl
// variables: ROMA_VAR_redis_password sets var.redis_password.
const envVarPrefix = "ROMA_VAR_"

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "default"}, {Name: "sensitive"}, {Name: "description"}, {Name: "type"},
	},
}

// variable is one declared variable and where its value came from.
type variable struct {
	name      string
	typ       cty.Type
	sensitive bool
	value     cty.Value // cty.NilVal while unset
	decl      hcl.Range
	// given are the raw values a sensitive variable was given, even ones
	// that failed to convert, so messages can be scrubbed of them.
	given []string
	// sources are the source ranges that hold a sensitive value: a
	// default, a -var-file line. Snippets never show them.
	sources []hcl.Range
}

// decodeVariables reads the variable blocks and resolves each value from, in
// rising precedence: the default, ROMA_VAR_<name>, each -var-file, each -var.
// It also returns what no message may show: the sensitive values and the
// source ranges that hold them.
func decodeVariables(blocks hcl.Blocks, opts Options, parser *hclparse.Parser) (map[string]*variable, secrets, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	var hidden []hcl.Range
	vars := map[string]*variable{}
	for _, b := range blocks {
		v, d := decodeVariable(b)
		diags = append(diags, d...)
		if prev, dup := vars[v.name]; dup {
			diags = append(diags, duplicateDiag("variable", v.name, b.LabelRanges[0], prev.decl))
			continue
		}
		vars[v.name] = v
	}
	for _, kv := range opts.Environ {
		k, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, envVarPrefix) {
			continue
		}
		if v := vars[strings.TrimPrefix(k, envVarPrefix)]; v != nil {
			diags = append(diags, v.setRaw(val, "environment variable "+k)...)
		}
	}
	for _, path := range opts.VarFiles {
		diags = append(diags, readVarFile(path, vars, parser, &hidden)...)
	}
	for _, arg := range opts.Vars {
		name, val, ok := strings.Cut(arg, "=")
		if !ok || name == "" {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid -var option",
				Detail: fmt.Sprintf("The -var option %q is not of the form NAME=VALUE.", redactArg(arg))})
			continue
		}
		v := vars[name]
		if v == nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Value for undeclared variable",
				Detail: fmt.Sprintf("A -var option sets %q, but no variable %q is declared.%s", name, name, didYouMean(name, varNames(vars)))})
			continue
		}
		diags = append(diags, v.setRaw(val, "-var "+name)...)
	}
	for _, v := range vars {
		if v.value == cty.NilVal {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No value for required variable",
				Detail: fmt.Sprintf("Variable %q has no default and no value. Set it with -var '%s=...', in a -var-file, or as %s%s.",
					v.name, v.name, envVarPrefix, v.name),
				Subject: v.decl.Ptr()})
			continue
		}
		if v.sensitive {
			v.value = v.value.Mark(sensitiveMark)
		}
	}
	return vars, secretsOf(vars, hidden), diags
}

func decodeVariable(b *hcl.Block) (*variable, hcl.Diagnostics) {
	v := &variable{name: b.Labels[0], typ: cty.DynamicPseudoType, decl: b.DefRange}
	content, diags := b.Body.Content(variableSchema)
	if !hclsyntax.ValidIdentifier(v.name) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid variable name",
			Detail: "A variable name must start with a letter or underscore and contain only letters, digits, underscores and dashes.", Subject: b.LabelRanges[0].Ptr()})
	}
	if a, ok := content.Attributes["type"]; ok {
		t, d := typeexpr.TypeConstraint(a.Expr)
		diags = append(diags, d...)
		if !d.HasErrors() {
			v.typ = t
		}
	}
	if a, ok := content.Attributes["sensitive"]; ok {
		var s bool
		diags = append(diags, decodeValue(a, nil, cty.Bool, &s)...)
		v.sensitive = s
	}
	if a, ok := content.Attributes["description"]; ok {
		var s string
		diags = append(diags, decodeValue(a, nil, cty.String, &s)...)
	}
	if a, ok := content.Attributes["default"]; ok {
		if v.sensitive {
			v.sources = append(v.sources, a.Expr.Range())
		}
		val, d := a.Expr.Value(nil)
		diags = append(diags, d...)
		if !d.HasErrors() {
			diags = append(diags, v.set(val, a.Expr.Range().Ptr())...)
		}
	}
	return v, diags
}

// set converts val to the variable's type and stores it.
func (v *variable) set(val cty.Value, rng *hcl.Range) hcl.Diagnostics {
	if v.sensitive {
		collectStrings(val, &v.given)
	}
	conv, err := convert.Convert(val, v.typ)
	if err != nil {
		v.value = cty.DynamicVal // reported here, not again as unset
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid value for variable",
			Detail: fmt.Sprintf("The value for variable %q is not a %s: %s.", v.name, typeexpr.TypeString(v.typ), err), Subject: rng}}
	}
	v.value = conv
	return nil
}

// setRaw sets the variable from a command-line or environment string: taken
// as it is for string (or untyped) variables, and parsed as an HCL
// expression for any other type, as Terraform does.
func (v *variable) setRaw(raw, from string) hcl.Diagnostics {
	if v.sensitive {
		v.given = append(v.given, raw)
	}
	if v.typ == cty.DynamicPseudoType || v.typ == cty.String {
		v.value = cty.StringVal(raw)
		return nil
	}
	invalid := hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid value for variable",
		Detail: fmt.Sprintf("The value given by %s for variable %q is not a valid %s.", from, v.name, typeexpr.TypeString(v.typ))}}
	expr, diags := hclsyntax.ParseExpression([]byte(raw), from, hcl.InitialPos)
	if diags.HasErrors() {
		v.value = cty.DynamicVal // reported here, not again as unset
		return invalid
	}
	val, diags := expr.Value(nil)
	if diags.HasErrors() { // such as a bare word given for a number
		v.value = cty.DynamicVal
		return invalid
	}
	return v.set(val, nil)
}

// readVarFile reads NAME = VALUE pairs from an HCL (or .json) file.
func readVarFile(path string, vars map[string]*variable, parser *hclparse.Parser, sources *[]hcl.Range) hcl.Diagnostics {
	src, err := os.ReadFile(path)
	if err != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read variables file",
			Detail: fmt.Sprintf("The -var-file %s cannot be read: %v.", path, unwrapPathErr(err))}}
	}
	var f *hcl.File
	var diags hcl.Diagnostics
	if strings.HasSuffix(path, ".json") {
		f, diags = parser.ParseJSON(src, path)
	} else {
		f, diags = parser.ParseHCL(src, path)
	}
	if diags.HasErrors() {
		return diags
	}
	attrs, d := f.Body.JustAttributes()
	diags = append(diags, d...)
	for name, a := range attrs {
		v := vars[name]
		if v == nil || v.sensitive {
			// An undeclared name may be a misspelt secret: hide it too.
			*sources = append(*sources, a.Expr.Range())
		}
		if v == nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Value for undeclared variable",
				Detail:  fmt.Sprintf("%s sets %q, but no variable %q is declared; the value is ignored.%s", path, name, name, didYouMean(name, varNames(vars))),
				Subject: a.NameRange.Ptr()})
			continue
		}
		val, d := a.Expr.Value(nil)
		diags = append(diags, d...)
		if !d.HasErrors() {
			diags = append(diags, v.set(val, a.Expr.Range().Ptr())...)
		}
	}
	return diags
}

func varNames(vars map[string]*variable) []string {
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	return names
}

// redactArg keeps a malformed -var argument's value out of messages.
func redactArg(arg string) string {
	if len(arg) > 24 {
		return arg[:8] + "..."
	}
	return arg
}

// secretsOf gathers what must never be printed: every value a sensitive
// variable was given, and the source ranges holding such values (hidden).
func secretsOf(vars map[string]*variable, hidden []hcl.Range) secrets {
	sec := secrets{ranges: hidden}
	for _, v := range vars {
		if !v.sensitive {
			continue
		}
		sec.values = append(sec.values, v.given...)
		sec.ranges = append(sec.ranges, v.sources...)
		if v.value != cty.NilVal {
			collectStrings(v.value, &sec.values)
		}
	}
	return sec
}

func collectStrings(val cty.Value, out *[]string) {
	val, _ = val.UnmarkDeep()
	switch {
	case val.IsNull() || !val.IsKnown():
	case val.Type() == cty.String:
		*out = append(*out, val.AsString())
	case val.Type() == cty.Number || val.Type() == cty.Bool:
		if s, err := convert.Convert(val, cty.String); err == nil {
			*out = append(*out, s.AsString())
		}
	case val.CanIterateElements():
		for it := val.ElementIterator(); it.Next(); {
			_, e := it.Element()
			collectStrings(e, out)
		}
	}
}
