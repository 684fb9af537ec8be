package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/hclspec"
	"github.com/spf13/pflag"
)

// configFlags are the flags shared by every command that reads roma.hcl.
type configFlags struct {
	path     string
	vars     []string
	varFiles []string
}

func (c *configFlags) register(fs *pflag.FlagSet) {
	fs.StringVarP(&c.path, "config", "c", "", "roma.hcl file or directory of .hcl files (default: $ROMA_CONFIG or the current directory)")
	fs.StringArrayVar(&c.vars, "var", nil, "set a variable: -var 'name=value' (repeatable)")
	fs.StringArrayVar(&c.varFiles, "var-file", nil, "read variables from a file (repeatable)")
}

// twice refuses a configuration named both by -c and by the PATH
// argument, unless they are the same: one of them is a mistake (roma
// status -c DIR list, for -format list), and reading either could be the
// wrong cluster's.
func (c *configFlags) twice(args []string) error {
	if len(args) == 0 || c.path == "" || filepath.Clean(args[0]) == filepath.Clean(c.path) {
		return nil
	}
	return usageError{fmt.Errorf("-c %s and the argument %s both name roma.hcl: give one", c.path, args[0])}
}

// configPath returns the configuration path to read: the positional
// argument if given, then -c, then $ROMA_CONFIG, then ".".
func (c *configFlags) configPath(args []string) string {
	switch {
	case len(args) > 0:
		return args[0]
	case c.path != "":
		return c.path
	case os.Getenv("ROMA_CONFIG") != "":
		return os.Getenv("ROMA_CONFIG")
	}
	return "."
}

func (c *configFlags) options() hclspec.Options {
	return hclspec.Options{Vars: c.vars, VarFiles: c.varFiles, Environ: os.Environ()}
}

// load reads and validates the configuration. Diagnostics go to stderr with
// their source snippets; when any is an error, load returns exitStatus(1).
func (c *configFlags) load(s *streams, args []string) (*hclspec.Config, error) {
	if err := c.twice(args); err != nil {
		return nil, err
	}
	cfg, diags := hclspec.Load(c.configPath(args), c.options())
	if len(diags) > 0 {
		cfg.WriteDiagnostics(s.err, diags, useColor(s.err))
	}
	if diags.HasErrors() {
		return cfg, exitStatus(exitError)
	}
	return cfg, nil
}

// loadSpec is load for commands that only need the model.
func (c *configFlags) loadSpec(s *streams, args []string) (*cluster.Spec, error) {
	cfg, err := c.load(s, args)
	if err != nil {
		return nil, err
	}
	return cfg.Spec, nil
}
