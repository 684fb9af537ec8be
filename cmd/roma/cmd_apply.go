package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/roma-redis/roma/apply"
	"github.com/roma-redis/roma/plan"
	"github.com/spf13/cobra"
)

type applyOptions struct {
	configFlags
	json        bool
	autoApprove bool
	input       bool
	targets     []string
	parallelism int
	lockTimeout time.Duration
	trustNew    bool
	ready       time.Duration
}

func newApplyCmd(s *streams) *cobra.Command {
	var o applyOptions
	c := &cobra.Command{
		Use:   "apply [PLANFILE]",
		Short: "Make the live cluster match roma.hcl",
		Long: `Apply plans (or loads PLANFILE, written by roma plan -out), shows the plan,
asks for approval, and carries it out over SSH: directories, conf files,
status nodes and data nodes started, replication bootstrapped, settings
changed at runtime where Redis allows it and with a rolling restart where it
does not (replicas first, the master after a FAILOVER), nodes removed from
roma.hcl destroyed. It holds the cluster lock throughout.

A plan file is refused when the cluster or roma.hcl changed since it was
made ("stale plan"); it needs no approval.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var planFile string
			if len(args) == 1 {
				if st, err := os.Stat(args[0]); err == nil && !st.IsDir() && !strings.HasSuffix(args[0], ".hcl") {
					planFile, args = args[0], nil
				}
			}
			return runApply(s, &o, args, planFile)
		},
	}
	o.register(c.Flags())
	f := c.Flags()
	f.BoolVar(&o.json, "json", false, "print newline-delimited JSON events (needs -auto-approve or a plan file)")
	f.BoolVar(&o.autoApprove, "auto-approve", false, "do not ask for approval")
	f.BoolVar(&o.input, "input", true, "ask for approval on the terminal; -input=false fails instead")
	f.StringArrayVar(&o.targets, "target", nil, "limit apply to a resource address (repeatable)")
	f.IntVar(&o.parallelism, "parallelism", 16, "hosts worked on at once")
	f.DurationVar(&o.lockTimeout, "lock-timeout", 0, "wait this long for the cluster lock")
	f.BoolVar(&o.trustNew, "trust-new", false, "record the keys of hosts not yet in known_hosts")
	readyFlag(f, &o.ready)
	f.BoolVar(&noColor, "no-color", false, "never use colour")
	return c
}

func runApply(s *streams, o *applyOptions, args []string, planFile string) error {
	if o.parallelism < 1 {
		return usageError{fmt.Errorf("-parallelism must be at least 1")}
	}
	if err := checkReady(o.ready); err != nil {
		return err
	}
	spec, err := o.loadSpec(s, args)
	if err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	var js *jsonStream
	if o.json {
		js = newJSONStream(s.out)
	}
	shared, closeShared := sharedConns(spec, dialer(o.trustNew))
	obs := plan.Observer{Dial: shared, Parallelism: o.parallelism}
	fresh := plan.Diff(spec, obs.Observe(ctx, spec), plan.Options{Targets: o.targets})
	p := fresh
	if planFile == "" {
		plan.Check(ctx, shared, spec, p, o.parallelism)
	}
	closeShared()
	if planFile != "" {
		data, err := os.ReadFile(planFile)
		if err != nil {
			return fmt.Errorf("reading the plan file: %w", err)
		}
		if p, err = plan.Unmarshal(data); err != nil {
			return fmt.Errorf("%s: %w", planFile, err)
		}
		if p.Cluster != spec.Name {
			return fmt.Errorf("%s is a plan for cluster %q, but roma.hcl declares %q", planFile, p.Cluster, spec.Name)
		}
		// What keeps the cluster from being seen now (a password refused,
		// a host out of reach) is what to mend, not a change since the
		// plan was made.
		if len(fresh.Refusals) > 0 {
			return fmt.Errorf("refusing to apply %s: %s", planFile, fresh.Refusals[0].Message)
		}
		if len(fresh.Unobserved) > 0 {
			return fmt.Errorf("cannot check %s against the cluster: %s: %s; roma applies nothing on a partial view", planFile, fresh.Unobserved[0].Address, fresh.Unobserved[0].Message)
		}
		if stale := plan.Stale(p, fresh); len(stale) > 0 {
			return fmt.Errorf("stale plan %s: the cluster changed since it was made (%s). Run roma plan again", planFile, strings.Join(stale, "; "))
		}
	} else if js != nil {
		if err := plan.WriteJSON(s.out, p); err != nil {
			return err
		}
	} else if err := plan.WriteHuman(s.out, p, plan.HumanOptions{Color: useColor(s.out)}); err != nil {
		return err
	}
	if len(p.Refusals) > 0 { // the more precise: a node that refuses the password is also unobserved
		return fmt.Errorf("refusing to apply: %s", p.Refusals[0].Message)
	}
	if len(p.Unobserved) > 0 {
		return fmt.Errorf("%d resources could not be observed; roma applies nothing on a partial view. Fix what the plan says of them (a host out of reach, a node refusing the password) or wait (a node loading its dataset), then run roma apply again", len(p.Unobserved))
	}
	if !p.HasChanges() {
		if js == nil && planFile != "" {
			fmt.Fprintln(s.out, "No changes. roma.hcl and the live cluster match.")
		}
		return nil
	}
	if planFile == "" && !o.autoApprove {
		if err := approve(s, o, p); err != nil {
			return err
		}
	}
	report := apply.HumanReporter(s.out)
	if js != nil {
		report = func(e apply.Event) {
			js.emit(map[string]any{"@level": levelOf(e), "@message": messageOf(e), "type": "apply_" + e.Type, "event": e})
		}
	}
	res, err := apply.Apply(ctx, spec, p, apply.Options{
		Dial: dialer(o.trustNew), Parallelism: o.parallelism, Report: report, LockTimeout: o.lockTimeout, ReadyTimeout: o.ready,
	})
	if js != nil {
		js.emit(map[string]any{"@level": "info", "@message": summaryOf(res, err), "type": "change_summary",
			"changes": map[string]any{"add": res.Added, "change": res.Changed, "remove": res.Destroyed, "operation": "apply"}})
	}
	if err != nil {
		return applyFailed(s, o, res, err, js != nil)
	}
	if js == nil {
		fmt.Fprintf(s.out, "\n%s\n", summaryOf(res, nil))
	}
	return nil
}

func levelOf(e apply.Event) string {
	if e.Type == "failed" {
		return "error"
	}
	return "info"
}

func messageOf(e apply.Event) string {
	if e.Address != "" {
		return e.Address + ": " + e.Message
	}
	return e.Message
}

func summaryOf(res *apply.Result, err error) string {
	if err != nil {
		return fmt.Sprintf("Apply failed after %s.", res.Elapsed.Round(100*time.Millisecond))
	}
	return fmt.Sprintf("Apply complete! Resources: %d added, %d changed, %d destroyed (%s).",
		res.Added, res.Changed, res.Destroyed, res.Elapsed.Round(100*time.Millisecond))
}

func applyFailed(s *streams, o *applyOptions, res *apply.Result, err error, asJSON bool) error {
	var locked *apply.LockedError
	if errors.As(err, &locked) || len(res.Done)+len(res.Failed)+len(res.Skipped) == 0 {
		return err
	}
	if !asJSON {
		fmt.Fprintf(s.out, "\n%s\n", summaryOf(res, err))
		if len(res.Done) > 0 {
			fmt.Fprintf(s.out, "Succeeded: %s\n", strings.Join(res.Done, ", "))
		}
	}
	path := o.configPath(nil)
	if res.Unchanged {
		return fmt.Errorf("%w\nNothing was changed. Fix the cause and run again:\n  roma apply -c %s", err, path)
	}
	return fmt.Errorf("%w\nEverything that succeeded stays done, and no file was left half-written. Fix the cause and run again to resume:\n  roma apply -c %s", err, path)
}

// approve asks for "yes" on the terminal.
func approve(s *streams, o *applyOptions, p *plan.Plan) error {
	if !o.input || o.json {
		return usageError{fmt.Errorf("apply needs approval: review the plan and run again with -auto-approve, or apply a plan file from roma plan -out")}
	}
	fmt.Fprintf(s.out, "\nDo you want to perform these actions on cluster %q?\n  roma will perform the actions described above.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ", p.Cluster)
	if !readYes(s) {
		return fmt.Errorf("apply cancelled: only 'yes' approves (use -auto-approve in scripts)")
	}
	return nil
}

// readYes reads one line from standard input and reports whether it is
// "yes".
func readYes(s *streams) bool {
	line, _ := bufio.NewReader(s.in).ReadString('\n')
	return strings.TrimSpace(line) == "yes"
}
