package main

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/roma-redis/roma/backup/restore"
	"github.com/roma-redis/roma/providers/store"
	"github.com/spf13/cobra"
)

type restoreOptions struct {
	backupOptions
	autoApprove  bool
	input        bool
	partitions   []int
	lockTimeout  time.Duration
	readyTimeout time.Duration
}

func newRestoreCmd(s *streams) *cobra.Command {
	var o restoreOptions
	c := &cobra.Command{
		Use:   "restore ID [PATH]",
		Short: "Overwrite the cluster's data with a backup (the original roma-restore)",
		Long: `Restore overwrites every partition (or those of --partition) with backup ID.

It refuses a backup of another cluster, or taken with another partition count
or hash function than roma.hcl declares, and reads every file back and
verifies it before it shows what will be overwritten and asks for approval.
Then, holding the cluster lock with the cluster in maintenance, it stages
every partition's RDB on its master's host (nothing is touched if that
fails) and, per partition in parallel, stops the nodes, loads the RDB on the
master, checks the keys it loaded against the manifest, and brings the other
nodes back empty as its replicas. Running it again after a failure finishes
the job.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(_ *cobra.Command, args []string) error { return runRestore(s, &o, args[0], args[1:]) },
	}
	o.register(c.Flags())
	f := c.Flags()
	storeFlag(f, &o.store, "from")
	f.BoolVar(&o.autoApprove, "auto-approve", false, "do not ask for approval")
	f.BoolVar(&o.input, "input", true, "ask for approval on the terminal; -input=false fails instead")
	f.IntSliceVar(&o.partitions, "partition", nil, "restore only this partition (repeatable)")
	f.DurationVar(&o.lockTimeout, "lock-timeout", 0, "wait this long for the cluster lock")
	f.DurationVar(&o.readyTimeout, "ready-timeout", 5*time.Minute, "give up on a node that makes no progress for this long: starting and loading its data, a replica syncing")
	f.BoolVar(&o.trustNew, "trust-new", false, "record the keys of hosts not yet in known_hosts")
	f.BoolVar(&noColor, "no-color", false, "never use colour")
	return c
}

func runRestore(s *streams, o *restoreOptions, id string, args []string) error {
	if err := checkReady(o.readyTimeout); err != nil {
		return err
	}
	spec, st, closeStore, err := o.open(s, args)
	if err != nil {
		return err
	}
	defer closeStore()
	ctx, cancel := signalContext()
	defer cancel()
	fmt.Fprintf(s.out, "Reading backup %s from %s and verifying every file...\n\n", id, st)
	plan, err := restore.Prepare(ctx, spec, st, id, o.partitions)
	if err != nil {
		return err
	}
	if err := restore.WritePlan(s.out, plan); err != nil {
		return err
	}
	if !o.autoApprove {
		if !o.input {
			return usageError{errors.New("restore needs approval: review what it overwrites and run again with -auto-approve")}
		}
		fmt.Fprintf(s.out, "\nDo you want to overwrite cluster %q with backup %s?\n  The data of the partitions above is replaced; it cannot be undone.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ", spec.Name, id)
		if !readYes(s) {
			return errors.New("restore cancelled: only 'yes' approves (use -auto-approve in scripts)")
		}
	}
	fmt.Fprintln(s.out)
	res, err := restore.Run(ctx, spec, st, plan, restore.Options{
		Dial: store.Dialer(dialer(o.trustNew)), LockTimeout: o.lockTimeout, ReadyTimeout: o.readyTimeout,
		Report: func(e restore.Event) {
			switch {
			case e.Partition < 0:
				fmt.Fprintln(s.out, e.Message)
			case e.Node != "":
				fmt.Fprintf(s.out, "  partition.%d: %s: %s\n", e.Partition, e.Node, e.Message)
			default:
				fmt.Fprintf(s.out, "  partition.%d: %s\n", e.Partition, e.Message)
			}
		}})
	for _, w := range res.Warnings {
		fmt.Fprintf(s.out, "Warning: %s\n", w)
	}
	if err != nil {
		fmt.Fprintf(s.out, "\nRestore of %s failed after %s.\n", id, res.Elapsed.Round(100*time.Millisecond))
		fmt.Fprintf(s.out, "  Restored:      %s\n", partitionList(res.Restored))
		var failed []int
		for p := range res.Failed {
			failed = append(failed, p)
		}
		sort.Ints(failed)
		fmt.Fprintf(s.out, "  Failed:        %s\n", partitionList(failed))
		fmt.Fprintf(s.out, "  Not touched:   %s\n", partitionList(res.Untouched))
		return fmt.Errorf("%w\nFix the cause and run roma restore %s again: it restores every partition again, whatever state it is in", err, id)
	}
	fmt.Fprintf(s.out, "\nRestore complete! %d partitions hold backup %s (%s).\n", len(res.Restored), id, res.Elapsed.Round(100*time.Millisecond))
	if len(res.Warnings) > 0 {
		return exitStatus(exitError)
	}
	return nil
}

func partitionList(ps []int) string {
	if len(ps) == 0 {
		return "none"
	}
	var out []string
	for _, p := range ps {
		out = append(out, fmt.Sprint(p))
	}
	return strings.Join(out, ", ")
}
