package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/remote"
	"github.com/spf13/cobra"
)

type trustOptions struct {
	configFlags
	yes     bool
	timeout time.Duration
}

func newTrustCmd(s *streams) *cobra.Command {
	var o trustOptions
	c := &cobra.Command{
		Use:   "trust [-c PATH] [--yes] HOST...",
		Short: "Record the SSH host keys of hosts in known_hosts, after showing their fingerprints",
		Long: `Trust connects to each HOST of roma.hcl, shows the SHA256 fingerprint of the
key it presents, and, once you confirm, records the key in the host's
known_hosts file (its ssh block's known_hosts, else ~/.ssh/known_hosts).
roma verifies host keys on every connection and refuses hosts it does not
know: compare the fingerprint with the host's own
("ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub" on it) before you say yes.

A key already recorded is left as it is. A key that differs from the
recorded one is refused: find out why the host's key changed, delete its
old line from known_hosts, and trust it again.

Without a terminal to confirm on, trust refuses unless given --yes. plan and
apply take --trust-new instead, which records the keys of hosts not yet
known without asking (and still refuses changed keys).`,
		Example: `  roma trust db1 db2
  roma trust -c examples/lab --yes db1 db2 db3 db4`,
		RunE: func(cmd *cobra.Command, args []string) error { return runTrust(cmd.Context(), s, &o, args) },
	}
	o.register(c.Flags())
	f := c.Flags()
	f.BoolVarP(&o.yes, "yes", "y", false, "record the keys without asking")
	f.DurationVar(&o.timeout, "timeout", 10*time.Second, "give up on a host after this long")
	return c
}

// isTerminal reports whether r is an interactive terminal to ask on: a
// character device other than /dev/null (what cron and systemd give). Tests
// replace it.
var isTerminal = func(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(st, null)
}

func runTrust(ctx context.Context, s *streams, o *trustOptions, names []string) error {
	if len(names) == 0 {
		return usageError{errors.New("give the names of the hosts to trust, as in roma.hcl (roma trust HOST...)")}
	}
	if ctx == nil {
		ctx = context.Background()
	}
	spec, err := o.loadSpec(s, nil)
	if err != nil {
		return err
	}
	hosts, err := trustHosts(spec, names)
	if err != nil {
		return err
	}
	interactive := isTerminal(s.in)
	answers := bufio.NewReader(s.in)
	failed := 0
	for _, h := range hosts {
		if err := trustHost(ctx, s, o, h, interactive, answers); err != nil {
			fmt.Fprintf(s.err, "Error: %v\n", err)
			failed++
		}
	}
	if failed > 0 {
		return exitStatus(exitError)
	}
	return nil
}

// trustHosts looks up names in spec, in order, without repeats.
func trustHosts(spec *cluster.Spec, names []string) ([]cluster.Host, error) {
	var hosts []cluster.Host
	var all []string
	for _, h := range spec.Hosts {
		all = append(all, h.Name)
	}
	for _, n := range names {
		i := slices.IndexFunc(spec.Hosts, func(h cluster.Host) bool { return h.Name == n })
		if i < 0 {
			return nil, fmt.Errorf("no host %q in roma.hcl (hosts: %s)", n, strings.Join(all, ", "))
		}
		if !slices.ContainsFunc(hosts, func(h cluster.Host) bool { return h.Name == n }) {
			hosts = append(hosts, spec.Hosts[i])
		}
	}
	return hosts, nil
}

func trustHost(ctx context.Context, s *streams, o *trustOptions, h cluster.Host, interactive bool, answers *bufio.Reader) error {
	if h.Transport == cluster.TransportLocal {
		fmt.Fprintf(s.out, "%s: local transport, no SSH host key to trust\n", h.Name)
		return nil
	}
	cfg := remote.ConfigFor(h)
	cfg.ConnectTimeout = o.timeout
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	hk, err := remote.ScanHostKey(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.out, "%s (%s): %s %s\n", hk.Host, hk.Addr, hk.Type, hk.Fingerprint)
	switch hk.State {
	case remote.HostKeyKnown:
		fmt.Fprintf(s.out, "%s: already trusted\n", hk.Host)
		return nil
	case remote.HostKeyChanged:
		return hk.Err()
	}
	if !o.yes {
		if !interactive {
			return fmt.Errorf("%s: not trusted: no terminal to confirm on; check the fingerprint and run again with --yes", hk.Host)
		}
		fmt.Fprintf(s.out, "Trust this key for %s and record it in %s? [y/N] ", hk.Host, hk.File)
		line, err := answers.ReadString('\n')
		if err != nil && line == "" {
			fmt.Fprintln(s.out)
		}
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			return fmt.Errorf("%s: not trusted: the key was not confirmed", hk.Host)
		}
	}
	if err := hk.Record(); err != nil {
		return err
	}
	fmt.Fprintf(s.out, "%s: trusted, recorded in %s\n", hk.Host, hk.File)
	return nil
}
