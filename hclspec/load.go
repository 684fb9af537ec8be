package hclspec

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/dynblock"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/roma-redis/roma/cluster"
	"github.com/zclconf/go-cty/cty"
)

// Options carry the variable values given outside roma.hcl.
type Options struct {
	Vars     []string // "name=value" from -var, in command-line order
	VarFiles []string // -var-file paths, in command-line order
	Environ  []string // the environment, for ROMA_VAR_<name> and env()
}

// Config is a loaded configuration: the desired model and the parsed files,
// which diagnostics need for their source snippets.
type Config struct {
	Spec  *cluster.Spec
	Files map[string]*hcl.File
	// secrets are the values of sensitive variables and the source ranges
	// that hold them, scrubbed from every diagnostic.
	secrets secrets
}

// Load reads the .hcl files at path (a directory, read as one
// configuration, or a single file) and decodes them into a Config. The
// Config is returned even when diags has errors, so callers can print the
// diagnostics with their snippets. Sensitive values are scrubbed from diags.
func Load(path string, opts Options) (*Config, hcl.Diagnostics) {
	parser := hclparse.NewParser()
	cfg := &Config{Files: parser.Files()}
	files, dir, diags := readFiles(parser, path)
	cfg.Files = parser.Files()
	if diags.HasErrors() {
		return cfg, diags
	}
	spec, secrets, d := decode(hcl.MergeFiles(files), dir, opts, parser)
	diags = append(diags, d...)
	cfg.Files = parser.Files()
	cfg.Spec, cfg.secrets = spec, secrets
	return cfg, cfg.Scrub(diags)
}

// LoadSource decodes one configuration held in memory, as if read from a
// file named filename in dir. It serves the embedded default and tests.
func LoadSource(src []byte, filename, dir string, opts Options) (*Config, hcl.Diagnostics) {
	parser := hclparse.NewParser()
	f, diags := parser.ParseHCL(src, filename)
	cfg := &Config{Files: parser.Files()}
	if diags.HasErrors() {
		return cfg, diags
	}
	spec, secrets, d := decode(f.Body, dir, opts, parser)
	cfg.Spec, cfg.secrets = spec, secrets
	cfg.Files = parser.Files()
	return cfg, cfg.Scrub(append(diags, d...))
}

// ConfigFiles returns the paths of the configuration files of directory
// dir, in name order: its .hcl files, hidden ones left out.
func ConfigFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".hcl") && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(names)
	return names, nil
}

// readFiles parses the configuration files at path, in name order.
func readFiles(parser *hclparse.Parser, path string) ([]*hcl.File, string, hcl.Diagnostics) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, "", hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read configuration",
			Detail: fmt.Sprintf("%s: %v.", path, unwrapPathErr(err))}}
	}
	var names []string
	dir := path
	if st.IsDir() {
		names, err = ConfigFiles(path)
		if err != nil {
			return nil, "", hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read configuration",
				Detail: fmt.Sprintf("%s: %v.", path, unwrapPathErr(err))}}
		}
		if len(names) == 0 {
			return nil, "", hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "No configuration files",
				Detail: fmt.Sprintf("The directory %s holds no .hcl files. Give the path of a roma.hcl, or run roma in the directory that holds it.", path)}}
		}
	} else {
		names = []string{path}
		dir = filepath.Dir(path)
	}
	var files []*hcl.File
	var diags hcl.Diagnostics
	for _, n := range names {
		src, err := os.ReadFile(n)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read configuration",
				Detail: fmt.Sprintf("%s: %v.", n, unwrapPathErr(err))})
			continue
		}
		f, d := parser.ParseHCL(src, n)
		diags = append(diags, d...)
		if f != nil {
			files = append(files, f)
		}
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return files, dir, diags
}

var rootSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "cluster", LabelNames: []string{"name"}},
		{Type: "host", LabelNames: []string{"name"}},
		{Type: "node", LabelNames: []string{"name"}},
		{Type: "status", LabelNames: []string{"name"}},
		{Type: "placement"},
		{Type: "romad"},
		{Type: "backup"},
		{Type: "alert", LabelNames: []string{"kind"}},
	},
}

var preSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{{Type: "variable", LabelNames: []string{"name"}}, {Type: "locals"}},
}

// decode turns the merged body into a Spec: variables and locals first,
// then dynamic blocks are expanded and every other block decoded, then the
// cross-block rules are checked.
func decode(body hcl.Body, dir string, opts Options, parser *hclparse.Parser) (*cluster.Spec, secrets, hcl.Diagnostics) {
	pre, _, diags := body.PartialContent(preSchema)
	vars, secrets, d := decodeVariables(pre.Blocks.OfType("variable"), opts, parser)
	diags = append(diags, d...)

	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"var":  varsObject(vars),
			"path": cty.ObjectVal(map[string]cty.Value{"root": cty.StringVal(dir)}),
		},
		Functions: functions(dir, opts.Environ),
	}
	locals, d := decodeLocals(pre.Blocks.OfType("locals"), ctx)
	diags = append(diags, d...)
	ctx.Variables["local"] = cty.ObjectVal(locals)

	content, d := dynblock.Expand(body, ctx).Content(rootSchema)
	diags = append(diags, d...)
	d2 := &decoder{ctx: ctx, dir: dir, spec: &cluster.Spec{Dir: dir}, ranges: newRanges()}
	d2.decodeAll(content)
	diags = append(diags, d2.diags...)
	return d2.spec, secrets, dropReported(diags)
}

func varsObject(vars map[string]*variable) cty.Value {
	m := map[string]cty.Value{}
	for n, v := range vars {
		if v.value == cty.NilVal {
			m[n] = cty.DynamicVal
			continue
		}
		m[n] = v.value
	}
	return cty.ObjectVal(m)
}
