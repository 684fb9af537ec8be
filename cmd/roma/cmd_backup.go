package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/roma-redis/roma/backup"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/providers/store"
	"github.com/roma-redis/roma/status"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

type backupOptions struct {
	configFlags
	store        string
	consistent   bool
	keep         int
	pauseTimeout time.Duration
	trustNew     bool
	id           string
}

func (o *backupOptions) registerStore(c *cobra.Command, name string) {
	o.register(c.Flags())
	storeFlag(c.Flags(), &o.store, name)
	c.Flags().BoolVar(&o.trustNew, "trust-new", false, "record the keys of hosts not yet in known_hosts")
}

// storeFlag registers the backup store's flag as name (backup --to,
// restore --from, the others --store), and the two other spellings as
// hidden synonyms: whichever a user types names the store.
func storeFlag(f *pflag.FlagSet, store *string, name string) {
	for _, n := range []string{"to", "from", "store"} {
		f.StringVar(store, n, "", "backup store: HOST:/dir on a host of roma.hcl, or a local directory (default: the backup block's)")
		if n != name {
			_ = f.MarkHidden(n)
		}
	}
}

// openStore connects the store the flags name, or the declared one.
// open loads roma.hcl and opens the backup store, as every backup and
// restore command does first; closeStore closes the store.
func (o *backupOptions) open(s *streams, args []string) (spec *cluster.Spec, st store.Store, closeStore func(), err error) {
	if spec, err = o.loadSpec(s, args); err != nil {
		return nil, nil, nil, err
	}
	st, closer, err := o.openStore(spec)
	if err != nil {
		return nil, nil, nil, err
	}
	return spec, st, func() { closer.Close() }, nil
}

func (o *backupOptions) openStore(spec *cluster.Spec) (store.Store, io.Closer, error) {
	where := o.store
	if where == "" {
		where = store.Declared(spec)
	}
	ctx, cancel := signalContext()
	defer cancel()
	st, closer, err := store.Connect(ctx, spec, where, store.Dialer(dialer(o.trustNew)))
	if err != nil {
		return nil, nil, err
	}
	return st, closer, nil
}

func newBackupCmd(s *streams) *cobra.Command {
	var o backupOptions
	c := &cobra.Command{
		Use:   "backup [PATH]",
		Short: "Back up every partition into the backup store (the original roma-backup)",
		Long: `Backup takes an RDB snapshot of every partition in parallel over the Redis
replication protocol, from a healthy replica (the master when there is none),
and streams it into the backup store while hashing and verifying it (magic,
version, CRC-64, keys). The manifest is written last: a backup without one
is incomplete. --consistent pauses writes on every master just long enough
for all partitions to share one point in time, and says for how long.

The store is the backup block's (host and dir), or --to: HOST:/dir on a host
of roma.hcl (over SSH/SFTP) or a directory on this machine. A backup into
the declared store is recorded on the status nodes as the cluster's last
backup (roma status shows it; romad's next scheduled one comes the backup
block's every after it), and backups beyond its keep are removed.

A backup is refused while roma restore holds the cluster in maintenance.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			keepSet := cmd.Flags().Changed("keep")
			return runBackup(s, &o, args, keepSet)
		},
	}
	o.register(c.Flags())
	f := c.Flags()
	storeFlag(f, &o.store, "to")
	f.BoolVar(&o.consistent, "consistent", false, "pause writes on every master so that all partitions share one point in time")
	f.DurationVar(&o.pauseTimeout, "pause-timeout", 5*time.Second, "with --consistent: the longest writes may stay paused")
	f.IntVar(&o.keep, "keep", 0, "then keep only this many complete backups (default: the backup block's keep for its store)")
	f.BoolVar(&o.trustNew, "trust-new", false, "record the keys of hosts not yet in known_hosts")
	f.StringVar(&o.id, "id", "", "name the backup (a UTC time like 20060102T150405Z; default: now)")
	c.AddCommand(newBackupListCmd(s), newBackupVerifyCmd(s), newBackupPruneCmd(s))
	return c
}

func runBackup(s *streams, o *backupOptions, args []string, keepSet bool) error {
	spec, st, closeStore, err := o.open(s, args)
	if err != nil {
		return err
	}
	defer closeStore()
	keep := o.keep
	if !keepSet && o.store == "" && spec.Backup != nil {
		keep = spec.Backup.Keep
	}
	ctx, cancel := signalContext()
	defer cancel()
	start := time.Now()
	m, err := backup.Run(ctx, spec, st, backup.Options{Consistent: o.consistent, PauseTimeout: o.pauseTimeout, ID: o.id,
		Progress: func(e backup.Event) {
			if e.Partition >= 0 {
				fmt.Fprintf(s.out, "  partition.%d: %s\n", e.Partition, e.Message)
			} else {
				fmt.Fprintln(s.out, e.Message)
			}
		}})
	if err != nil {
		return err
	}
	keys := "uncounted keys"
	if k := m.Keys(); k >= 0 {
		keys = fmt.Sprintf("%d keys", k)
	}
	took := time.Since(start)
	fmt.Fprintf(s.out, "\nBackup %s complete: %d partitions, %s, %s in %s.\n", m.ID, m.Partitions, backup.HumanSize(m.Size()), keys,
		took.Round(10*time.Millisecond))
	if declared := store.Declared(spec); declared != "" && (o.store == "" || o.store == declared) && len(spec.Status) > 0 {
		// Into the declared store: the cluster's last backup, for roma
		// status and romad's schedule, as a scheduled one would be.
		rec := &status.Backup{ID: m.ID, Time: m.Started, OK: true, Duration: took.Seconds()}
		if n, err := backup.Record(ctx, spec, rec); n < status.Majority(len(spec.Status)) {
			fmt.Fprintf(s.err, "Warning: the backup is complete, but only %d of %d status nodes recorded it as the last backup (%v): roma status and romad's schedule go by an older one.\n",
				n, len(spec.Status), err)
		}
	}
	if keep > 0 {
		removed, err := backup.Prune(ctx, st, spec.Name, keep)
		if len(removed) > 0 {
			fmt.Fprintf(s.out, "Removed %d older backups (keep %d): %s\n", len(removed), keep, strings.Join(removed, ", "))
		}
		if err != nil {
			return fmt.Errorf("the backup is complete, but removing old ones failed: %w", err)
		}
	}
	return nil
}

func newBackupListCmd(s *streams) *cobra.Command {
	var o backupOptions
	c := &cobra.Command{
		Use:   "list [PATH]",
		Short: "List the backups in the backup store, complete or not",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			spec, st, closeStore, err := o.open(s, args)
			if err != nil {
				return err
			}
			defer closeStore()
			ctx, cancel := signalContext()
			defer cancel()
			all, err := backup.List(ctx, st, spec.Name)
			if err != nil {
				return err
			}
			if len(all) == 0 {
				fmt.Fprintf(s.out, "No backups of cluster %s in %s.\n", spec.Name, st)
				return nil
			}
			fmt.Fprintf(s.out, "Backups of cluster %s in %s:\n\n", spec.Name, st)
			writeList(s.out, all, spec.Partitions)
			return nil
		},
	}
	o.registerStore(c, "store")
	return c
}

func writeList(w io.Writer, all []backup.Listed, partitions int) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tPARTITIONS\tSIZE\tKEYS\tCONSISTENT\tTOOK")
	for _, l := range all {
		switch {
		case l.Complete():
			m := l.Manifest
			keys := "-"
			if k := m.Keys(); k >= 0 {
				keys = fmt.Sprint(k)
			}
			cons := "no"
			if m.Consistent {
				cons = fmt.Sprintf("yes (%.1f ms)", m.PausedMS)
			}
			fmt.Fprintf(tw, "%s\tcomplete\t%d\t%s\t%s\t%s\t%s\n", l.ID, m.Partitions, backup.HumanSize(m.Size()), keys, cons,
				m.Finished.Sub(m.Started).Round(10*time.Millisecond))
		case l.Err != nil:
			fmt.Fprintf(tw, "%s\tunreadable\t-\t%s\t-\t-\t%v\n", l.ID, backup.HumanSize(l.Size), l.Err)
		default:
			fmt.Fprintf(tw, "%s\tincomplete\t%d of %d files\t%s\t-\t-\t-\n", l.ID, l.Files, partitions, backup.HumanSize(l.Size))
		}
	}
	tw.Flush()
}

func newBackupVerifyCmd(s *streams) *cobra.Command {
	var o backupOptions
	c := &cobra.Command{
		Use:   "verify ID [PATH]",
		Short: "Read a backup back and check every file against its manifest",
		Long: `Verify reads every file of backup ID back from the store and checks it
against the manifest: size, SHA-256, the RDB's magic, version and CRC-64
trailer, and the number of keys. It exits 1 when any file fails.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(_ *cobra.Command, args []string) error {
			spec, st, closeStore, err := o.open(s, args[1:])
			if err != nil {
				return err
			}
			defer closeStore()
			ctx, cancel := signalContext()
			defer cancel()
			m, checks, err := backup.Verify(ctx, st, spec.Name, args[0], time.Now())
			if m == nil {
				return err
			}
			fmt.Fprintf(s.out, "Backup %s of cluster %s in %s, taken %s:\n", m.ID, m.Cluster, st, m.Started.Format(time.RFC3339))
			for _, ch := range checks {
				f := ch.File
				if ch.Err != nil {
					fmt.Fprintf(s.out, "  partition.%d  %s  FAILED: %v\n", f.Partition, f.Name, ch.Err)
					continue
				}
				keys := "keys not counted"
				if f.Keys >= 0 {
					keys = fmt.Sprintf("%d keys", f.Keys)
				}
				fmt.Fprintf(s.out, "  partition.%d  %s  %s, SHA-256 ok, RDB version %d, CRC-64 %s ok, %s\n",
					f.Partition, f.Name, backup.HumanSize(f.Size), f.RDBVersion, f.CRC64, keys)
			}
			if err != nil {
				return fmt.Errorf("backup %s does not verify:\n%w", m.ID, err)
			}
			fmt.Fprintf(s.out, "\nBackup %s verifies: %d files, %s.\n", m.ID, len(checks), backup.HumanSize(m.Size()))
			return nil
		},
	}
	o.registerStore(c, "store")
	return c
}

func newBackupPruneCmd(s *streams) *cobra.Command {
	var o backupOptions
	c := &cobra.Command{
		Use:   "prune [PATH]",
		Short: "Remove backups beyond keep, and incomplete ones older than the newest complete one",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := o.loadSpec(s, args)
			if err != nil {
				return err
			}
			keep := o.keep
			if !cmd.Flags().Changed("keep") {
				if spec.Backup == nil {
					return usageError{errors.New("roma.hcl declares no backup block: say how many to keep with --keep")}
				}
				keep = spec.Backup.Keep
			}
			st, closer, err := o.openStore(spec)
			if err != nil {
				return err
			}
			defer closer.Close()
			ctx, cancel := signalContext()
			defer cancel()
			removed, err := backup.Prune(ctx, st, spec.Name, keep)
			if len(removed) == 0 && err == nil {
				fmt.Fprintf(s.out, "Nothing to remove (keep %d).\n", keep)
			}
			for _, id := range removed {
				fmt.Fprintf(s.out, "Removed backup %s\n", id)
			}
			return err
		},
	}
	o.registerStore(c, "store")
	c.Flags().IntVar(&o.keep, "keep", 0, "complete backups to keep (default: the backup block's keep)")
	return c
}
