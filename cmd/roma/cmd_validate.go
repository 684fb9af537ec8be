package main

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/hclspec"
	"github.com/spf13/cobra"
)

type validateOptions struct {
	configFlags
	json bool
}

func newValidateCmd(s *streams) *cobra.Command {
	var o validateOptions
	c := &cobra.Command{
		Use:   "validate [PATH]",
		Short: "Check roma.hcl for errors",
		Long: `Validate reads the roma.hcl configuration at PATH (a file, or a directory
whose .hcl files are read together) and reports every problem, each with its
file:line:col and source. It exits 0 when the configuration is valid and 1
when it is not. Nothing is contacted: no host, no Redis.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error { return runValidate(s, &o, args) },
	}
	o.register(c.Flags())
	c.Flags().BoolVar(&o.json, "json", false, "print newline-delimited JSON")
	c.Flags().BoolVar(&noColor, "no-color", false, "never use colour")
	return c
}

func runValidate(s *streams, o *validateOptions, args []string) error {
	if err := o.twice(args); err != nil {
		return err
	}
	cfg, diags := hclspec.Load(o.configPath(args), o.options())
	if o.json {
		return validateJSON(s, cfg, diags)
	}
	if len(diags) > 0 {
		cfg.WriteDiagnostics(s.err, diags, useColor(s.err))
	}
	if diags.HasErrors() {
		return exitStatus(exitError)
	}
	if len(diags) > 0 {
		fmt.Fprintln(s.err)
	}
	fmt.Fprintf(s.out, "Success! The configuration is valid: %s.\n", describe(cfg.Spec))
	return nil
}

func validateJSON(s *streams, cfg *hclspec.Config, diags hcl.Diagnostics) error {
	js := newJSONStream(s.out)
	jd := cfg.JSONDiagnostics(diags)
	errs, warns := 0, 0
	for _, d := range jd {
		if d.Severity == "error" {
			errs++
		} else {
			warns++
		}
		js.emit(map[string]any{"@level": d.Severity, "@message": d.Severity + ": " + d.Summary, "type": "diagnostic", "diagnostic": d})
	}
	js.emit(map[string]any{
		"@level": "info", "@message": fmt.Sprintf("valid: %v", errs == 0), "type": "validate",
		"valid": errs == 0, "error_count": errs, "warning_count": warns, "diagnostics": jd,
	})
	if errs > 0 {
		return exitStatus(exitError)
	}
	return nil
}

// describe summarises a model in a few words.
func describe(s *cluster.Spec) string {
	return fmt.Sprintf("cluster %q, %s, %s on %s, %s", s.Name,
		plural(s.Partitions, "partition"), plural(len(s.Nodes), "data node"),
		plural(len(s.Hosts), "host"), plural(len(s.Status), "status node"))
}

func plural(n int, what string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}
