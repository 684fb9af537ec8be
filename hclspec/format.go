package hclspec

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Format returns src in canonical HCL layout (hclwrite's: aligned equals
// signs, two-space indents, normalised spacing). Source with syntax errors
// is not formatted: the errors are returned instead.
func Format(src []byte, filename string) ([]byte, hcl.Diagnostics) {
	_, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	return hclwrite.Format(src), nil
}

// FilesOnly returns a Config holding just the given source, so that
// diagnostics about it can be printed with snippets.
func FilesOnly(filename string, src []byte) *Config {
	f, _ := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if f == nil {
		f = &hcl.File{Bytes: src}
	}
	f.Bytes = src
	return &Config{Files: map[string]*hcl.File{filename: f}}
}
