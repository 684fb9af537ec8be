package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/roma-redis/roma/apply"
	"github.com/roma-redis/roma/cluster"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

type lifecycleOptions struct {
	configFlags
	hosts       []string
	parallelism int
	lockTimeout time.Duration
	trustNew    bool
	autoApprove bool
	input       bool
	purge       bool
	ready       time.Duration
}

func (o *lifecycleOptions) registerCommon(c *cobra.Command) {
	o.register(c.Flags())
	c.Flags().IntVar(&o.parallelism, "parallelism", 16, "hosts worked on at once")
	c.Flags().DurationVar(&o.lockTimeout, "lock-timeout", 0, "wait this long for the cluster lock")
	c.Flags().BoolVar(&o.trustNew, "trust-new", false, "record the keys of hosts not yet in known_hosts")
	readyFlag(c.Flags(), &o.ready)
}

// readyFlag registers -ready-timeout, for the commands that start, stop
// and sync nodes.
func readyFlag(f *pflag.FlagSet, d *time.Duration) {
	f.DurationVar(d, "ready-timeout", apply.DefaultReadyTimeout,
		"give up on a node that makes no progress for this long: starting and loading its data, a replica syncing, a save before a stop")
}

// checkReady refuses a -ready-timeout that would give up on every node.
func checkReady(d time.Duration) error {
	if d <= 0 {
		return usageError{fmt.Errorf("-ready-timeout must be positive, not %s: it is how long a node may make no progress (loading, syncing, saving) before roma gives up on it", d)}
	}
	return nil
}

func (o *lifecycleOptions) applyOptions(s *streams) apply.Options {
	return apply.Options{Dial: dialer(o.trustNew), Parallelism: o.parallelism, LockTimeout: o.lockTimeout, ReadyTimeout: o.ready, Report: apply.HumanReporter(s.out)}
}

func checkHosts(spec *cluster.Spec, hosts []string) error {
	for _, h := range hosts {
		if _, ok := spec.Host(h); !ok {
			return usageError{fmt.Errorf("--host %s: no such host in roma.hcl", h)}
		}
	}
	return nil
}

// signalContext is the context of a command that changes the cluster or
// runs long: canceled by an interrupt, SIGTERM, a hangup (the SSH session
// or terminal gone), or a write to a closed output pipe (SIGPIPE: roma
// apply | head). Canceled, the command stops at the end of its current
// step and releases the cluster lock; killed by the signal, it held the
// lock until its TTL ran out.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
}

func finish(s *streams, what string, res *apply.Result, err error) error {
	if err != nil {
		return fmt.Errorf("%s failed: %w\nRun the command again once the cause is fixed: it picks up where this one stopped", what, err)
	}
	fmt.Fprintf(s.out, "\n%s complete (%s).\n", what, res.Elapsed.Round(100*time.Millisecond))
	return nil
}

// scopedCmd builds start and stop: the whole cluster, or --host. confirm,
// when not nil, runs before anything is done.
func scopedCmd(s *streams, use, short, long, what string,
	run func(ctx context.Context, spec *cluster.Spec, scope apply.Scope, opts apply.Options) (*apply.Result, error),
	confirm func(s *streams, o *lifecycleOptions, spec *cluster.Spec) error) *cobra.Command {
	var o lifecycleOptions
	c := &cobra.Command{
		Use: use, Short: short, Long: long,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if err := checkReady(o.ready); err != nil {
				return err
			}
			spec, err := o.loadSpec(s, args)
			if err != nil {
				return err
			}
			if err := checkHosts(spec, o.hosts); err != nil {
				return err
			}
			if confirm != nil {
				if err := confirm(s, &o, spec); err != nil {
					return err
				}
			}
			ctx, stop := signalContext()
			defer stop()
			res, err := run(ctx, spec, apply.Scope{Hosts: o.hosts}, o.applyOptions(s))
			return finish(s, what, res, err)
		},
	}
	o.registerCommon(c)
	c.Flags().StringArrayVar(&o.hosts, "host", nil, "only nodes on this host (repeatable)")
	if confirm != nil {
		c.Flags().BoolVar(&o.autoApprove, "auto-approve", false, "do not ask for confirmation")
		c.Flags().BoolVar(&o.input, "input", true, "ask for confirmation; -input=false fails instead")
	}
	return c
}

func newStartCmd(s *streams) *cobra.Command {
	return scopedCmd(s, "start [PATH]", "Start the cluster's stopped nodes (the original roma-start)",
		`Start starts every stopped node of the cluster, or only those on --host:
status nodes first, then in each partition its master (unless one already
runs) and the others as its replicas, and romad last. The master is the one
romad last published (or the one it lost, in HALT), which had the newest
data when the cluster stopped; when the status names none of the nodes to
start, or that node holds nothing on disk while another does, the node
holding the most data. A master that runs while that node is to start came
back on its own, on older data: it becomes its replica. A romad already
running is left alone.`, "Start", apply.Start, nil)
}

func newStopCmd(s *streams) *cobra.Command {
	return scopedCmd(s, "stop [PATH]", "Stop the cluster's nodes gracefully, with a save (the original roma-stop)",
		`Stop saves and stops every node of the cluster, or only those on --host: in
each partition the replicas first and the master last; with --host, a master
on those hosts first hands over to an in-sync replica elsewhere (FAILOVER), so
the partition keeps serving. Status nodes stop last. When the whole cluster
stops, romad stops first, so that it fails nothing over meanwhile.

When the stop takes partitions out of service (the whole cluster, or hosts
that hold every node of a partition or a majority of the status nodes),
it says so and asks for confirmation unless -auto-approve.`, "Stop", apply.Stop, confirmStop)
}

// confirmStop asks for "yes" when the stop takes partitions out of
// service: clients then get HALT, or no status at all, until roma start.
// A stop of hosts whose partitions keep a node elsewhere (their masters
// hand over) needs no confirmation.
func confirmStop(s *streams, o *lifecycleOptions, spec *cluster.Spec) error {
	outage := stopOutage(spec, o.hosts)
	if outage == "" {
		return nil
	}
	return o.confirm(s, fmt.Sprintf("stop needs approval: it %s; run again with -auto-approve", outage),
		fmt.Sprintf("Do you really want to stop cluster %q? The stop %s.\n  The nodes save their data first, and roma start brings them back.", spec.Name, outage),
		"stop cancelled: nothing was stopped (use -auto-approve in scripts)")
}

// confirm asks for "yes" on the terminal, with question, unless
// -auto-approve; with -input=false it fails with needs instead, and an
// answer other than "yes" fails with cancelled.
func (o *lifecycleOptions) confirm(s *streams, needs, question, cancelled string) error {
	if o.autoApprove {
		return nil
	}
	if !o.input {
		return usageError{errors.New(needs)}
	}
	fmt.Fprintf(s.out, "%s\n  Only 'yes' will be accepted to confirm.\n\n  Enter a value: ", question)
	if !readYes(s) {
		return errors.New(cancelled)
	}
	return nil
}

// stopOutage says what a stop of hosts (none: the whole cluster) takes out
// of service, or "" when every partition keeps a node and the status keeps
// a majority.
func stopOutage(spec *cluster.Spec, hosts []string) string {
	if len(hosts) == 0 {
		return fmt.Sprintf("takes the whole cluster out of service (%d partitions, %d nodes)", spec.Partitions, len(spec.Nodes))
	}
	stopped := func(host string) bool { return slices.Contains(hosts, host) }
	var down []string
	for p := 0; p < spec.Partitions; p++ {
		nodes := spec.PartitionNodes(p)
		if len(nodes) > 0 && !slices.ContainsFunc(nodes, func(n cluster.Node) bool { return !stopped(n.Host) }) {
			down = append(down, strconv.Itoa(p))
		}
	}
	var what []string
	switch len(down) {
	case 0:
	case 1:
		what = append(what, "takes partition "+down[0]+" out of service (every node of it is on those hosts)")
	default:
		what = append(what, "takes partitions "+strings.Join(down, ", ")+" out of service (every node of them is on those hosts)")
	}
	var st int
	for _, n := range spec.Status {
		if stopped(n.Host) {
			st++
		}
	}
	if n := len(spec.Status); st > 0 && n-st < n/2+1 {
		what = append(what, fmt.Sprintf("stops %d of the %d status nodes, leaving no majority to give clients the cluster status", st, n))
	}
	return strings.Join(what, ", and ")
}

func newDestroyCmd(s *streams) *cobra.Command {
	var o lifecycleOptions
	c := &cobra.Command{
		Use:   "destroy [PATH]",
		Short: "Stop and remove everything roma.hcl declares",
		Long: `Destroy stops every node roma.hcl declares and removes roma's files for
them (conf files, pidfiles, service units). Data directories stay unless
-purge-data is given (the nodes then stop without saving: SHUTDOWN NOSAVE).
It asks for confirmation unless -auto-approve.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if err := checkReady(o.ready); err != nil {
				return err
			}
			spec, err := o.loadSpec(s, args)
			if err != nil {
				return err
			}
			what := "Data directories are kept."
			if o.purge {
				what = "DATA DIRECTORIES ARE DELETED TOO (-purge-data)."
			}
			if err := o.confirm(s, "destroy needs approval: run again with -auto-approve",
				fmt.Sprintf("Do you really want to destroy cluster %q (%d nodes, %d status nodes on %d hosts)? %s",
					spec.Name, len(spec.Nodes), len(spec.Status), len(spec.Hosts), what),
				"destroy cancelled"); err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			res, err := apply.Destroy(ctx, spec, o.purge, o.applyOptions(s))
			return finish(s, "Destroy", res, err)
		},
	}
	o.registerCommon(c)
	c.Flags().BoolVar(&o.autoApprove, "auto-approve", false, "do not ask for confirmation")
	c.Flags().BoolVar(&o.input, "input", true, "ask for confirmation; -input=false fails instead")
	c.Flags().BoolVar(&o.purge, "purge-data", false, "also delete the nodes' data directories")
	return c
}

func newForceUnlockCmd(s *streams) *cobra.Command {
	var o lifecycleOptions
	c := &cobra.Command{
		Use:   "force-unlock LOCK_ID [PATH]",
		Short: "Remove a stale cluster lock",
		Long: `Force-unlock removes the cluster lock with the given ID (shown by the
command that found the cluster locked). Use it only when the holder is
known to be dead; a lock also expires by itself after its TTL.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(_ *cobra.Command, args []string) error {
			spec, err := o.loadSpec(s, args[1:])
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			h := apply.LockHost(spec)
			t, err := dialer(o.trustNew)(ctx, h)
			if err != nil {
				return err
			}
			defer t.Close()
			if err := apply.ForceUnlock(ctx, t, h, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(s.out, "The cluster lock %s was removed from %s.\n", args[0], h.Name)
			return nil
		},
	}
	o.register(c.Flags())
	c.Flags().BoolVar(&o.trustNew, "trust-new", false, "record the keys of hosts not yet in known_hosts")
	return c
}
