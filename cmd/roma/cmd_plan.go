package main

import (
	"context"
	"fmt"
	"time"

	"github.com/roma-redis/roma/plan"
	"github.com/roma-redis/roma/remote"
	"github.com/spf13/cobra"
)

type planOptions struct {
	configFlags
	json             bool
	detailedExitcode bool
	out              string
	targets          []string
	parallelism      int
	trustNew         bool
	timeout          time.Duration
}

func newPlanCmd(s *streams) *cobra.Command {
	var o planOptions
	c := &cobra.Command{
		Use:   "plan [PATH]",
		Short: "Show what apply would change on the live cluster",
		Long: `Plan observes every host (over SSH, or locally) and every Redis node (over
the Redis protocol), compares them with roma.hcl, and shows what apply would
do: nodes to create, settings to change (at runtime, or with a rolling
restart), drift made outside roma and how it is repaired, nodes to destroy.
Planning changes nothing.

Exit status: 0 when it succeeded, 1 on an error (including hosts or nodes
that could not be observed, and plans apply would refuse). With
-detailed-exitcode: 0 when there are no changes, 2 when there are.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runPlan(cmd.Context(), s, &o, args) },
	}
	o.register(c.Flags())
	f := c.Flags()
	f.BoolVar(&o.json, "json", false, "print newline-delimited JSON")
	f.BoolVar(&o.detailedExitcode, "detailed-exitcode", false, "exit 2 when there are changes, 0 when there are none")
	f.StringVar(&o.out, "out", "", "write the plan to FILE (mode 0600) for roma apply FILE")
	f.StringArrayVar(&o.targets, "target", nil, "limit the plan to a resource address, e.g. node.db1-7000 or host.db1 (repeatable)")
	f.IntVar(&o.parallelism, "parallelism", 16, "hosts and nodes observed at once")
	f.BoolVar(&o.trustNew, "trust-new", false, "record the keys of hosts not yet in known_hosts (a changed key is still refused)")
	f.DurationVar(&o.timeout, "timeout", 30*time.Second, "give up on a host or node after this long")
	f.BoolVar(&noColor, "no-color", false, "never use colour")
	return c
}

func runPlan(ctx context.Context, s *streams, o *planOptions, args []string) error {
	if o.parallelism < 1 {
		return usageError{fmt.Errorf("-parallelism must be at least 1")}
	}
	spec, err := o.loadSpec(s, args)
	if err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	shared, closeShared := sharedConns(spec, dialer(o.trustNew))
	obs := plan.Observer{Dial: shared, Parallelism: o.parallelism, Timeout: o.timeout}
	st := obs.Observe(ctx, spec)
	p := plan.Diff(spec, st, plan.Options{Targets: o.targets})
	plan.Check(ctx, shared, spec, p, o.parallelism)
	closeShared()
	if o.json {
		newJSONStream(s.out)
		if err := plan.WriteJSON(s.out, p); err != nil {
			return err
		}
	} else if err := plan.WriteHuman(s.out, p, plan.HumanOptions{Color: useColor(s.out)}); err != nil {
		return err
	}
	if o.out != "" {
		b, err := plan.Marshal(p)
		if err != nil {
			return err
		}
		if err := remote.NewLocal("local").WriteFile(ctx, o.out, b, 0o600); err != nil {
			return fmt.Errorf("writing the plan file: %w", err)
		}
		if !o.json {
			fmt.Fprintf(s.out, "\nSaved the plan to %s. To perform exactly these actions, run: roma apply %s\n", o.out, o.out)
		}
	}
	switch {
	case len(p.Unobserved) > 0:
		fmt.Fprintln(s.err, "Error: the plan above is incomplete: some resources could not be observed (see above).")
		return exitStatus(exitError)
	case len(p.Refusals) > 0:
		fmt.Fprintln(s.err, "Error: apply would refuse this plan (see above).")
		return exitStatus(exitError)
	case o.detailedExitcode && p.HasChanges():
		return exitStatus(2)
	}
	return nil
}
