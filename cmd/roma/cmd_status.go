package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/plan"
	"github.com/roma-redis/roma/status"
	"github.com/roma-redis/roma/status/report"
	"github.com/roma-redis/roma/status/view"
	"github.com/spf13/cobra"
)

// Exit codes of roma status, for cron and monitoring.
const (
	exitDegraded = 2
	exitHalt     = 3
)

type statusOptions struct {
	configFlags
	format   string
	json     bool
	watch    bool
	interval time.Duration
	count    int
	drift    bool
	schema   bool
	timeout  time.Duration
	trustNew bool
}

func newStatusCmd(s *streams) *cobra.Command {
	var o statusOptions
	c := &cobra.Command{
		Use:   "status [PATH]",
		Short: "Show the cluster's state, its partitions' masters and every node",
		Long: `Status reads the cluster status that romad publishes from the status nodes
(a majority of them must agree), and probes every data node directly (PING
and INFO, in parallel): role, up or down and since when, replication link
and lag, memory used, key count. It shows the state, the epoch and the
alpha romad, each partition's master and replicas, the status nodes'
agreement, the last backup (romad's scheduled one, or roma backup's into the declared store) and, with --drift, how many resources were
changed outside roma. A node the published status names that roma.hcl no
longer declares (removed from it, not yet applied) still serves: it is
probed at its published address and shown "not in roma.hcl". A node
added to roma.hcl, not yet applied (it does not answer, and the published
status does not name it), is shown "not created yet", and is no problem.

The state is the worse of the published one and the one the probe finds:
HALT when a partition has no master up, or when no majority of status
nodes answers (clients then cannot route); DEGRADED when a node is down or
a replica's link is broken. When the status nodes disagree or cannot be
reached, status says so and the state comes from the probe.

Formats: summary (one line), list (a table), xml (see -schema), html (one
self-contained page, the one romad serves), json (versioned; -json is
-format json, as newline-delimited JSON after a version message).

Exit status: 0 OK, 2 DEGRADED, 3 HALT, 1 on an error. With --watch, the
state of the last report. When every node that answers refuses roma.hcl's
password, nothing of the cluster can be seen: status says so and exits 1
(roma.hcl, or the variables it was given, are wrong), rather than 3.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runStatus(s, &o, args) },
	}
	o.register(c.Flags())
	f := c.Flags()
	f.StringVar(&o.format, "format", "list", "summary, list, xml, html or json")
	f.BoolVar(&o.json, "json", false, "newline-delimited JSON (-format json)")
	f.BoolVar(&o.watch, "watch", false, "report again every --interval until interrupted (redrawn in place on a terminal)")
	f.DurationVar(&o.interval, "interval", 2*time.Second, "time between reports with --watch")
	f.IntVar(&o.count, "count", 0, "with --watch, stop after this many reports (0: never)")
	f.BoolVar(&o.drift, "drift", false, "also run a quick plan and report what was changed outside roma")
	f.BoolVar(&o.schema, "schema", false, "print the XML schema (XSD) of -format xml and exit")
	f.DurationVar(&o.timeout, "timeout", report.DefaultTimeout, "give up on a node after this long")
	f.BoolVar(&o.trustNew, "trust-new", false, "with --drift, record the keys of hosts not yet in known_hosts")
	f.BoolVar(&noColor, "no-color", false, "never use colour")
	return c
}

func runStatus(s *streams, o *statusOptions, args []string) error {
	if o.schema {
		_, err := s.out.Write(view.Schema)
		return err
	}
	if o.json {
		o.format = "json"
	}
	switch {
	case !slices.Contains(view.Formats, o.format):
		return usageError{fmt.Errorf("-format %s: want one of summary, list, xml, html, json", o.format)}
	case o.interval <= 0:
		return usageError{fmt.Errorf("-interval must be positive")}
	case o.timeout <= 0:
		return usageError{fmt.Errorf("-timeout must be positive")}
	}
	if len(args) == 1 && slices.Contains(view.Formats, args[0]) {
		if _, err := os.Stat(args[0]); err != nil {
			return usageError{fmt.Errorf("%s: no such file or directory; the argument is roma.hcl's path: for the %s format, give -format %s", args[0], args[0], args[0])}
		}
	}
	spec, err := o.loadSpec(s, args)
	if err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	w := statusWriter{s: s, format: o.format, terminal: outIsTerminal(s.out) && o.watch, color: useColor(s.out)}
	code := exitOK
	for i := 1; ; i++ {
		r := gatherStatus(ctx, spec, o)
		if ctx.Err() != nil {
			// Interrupted while gathering: what was gathered is not the
			// cluster's state. Keep the last report's, if any.
			if i == 1 {
				return fmt.Errorf("interrupted: %w", ctx.Err())
			}
			break
		}
		if err := r.PasswordRefused(); err != nil {
			// What the report would show (HALT, every node down) is not
			// the cluster's state: roma.hcl is what is wrong.
			return fmt.Errorf("cluster %q: %w", spec.Name, err)
		}
		if err := w.write(r); err != nil {
			return err
		}
		code = stateCode(r.State)
		if !o.watch || (o.count > 0 && i >= o.count) {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(o.interval):
		}
		if ctx.Err() != nil {
			break
		}
	}
	if code != exitOK {
		return exitStatus(code)
	}
	return nil
}

// gatherStatus reads the status nodes, probes the data nodes and, with
// --drift, plans.
func gatherStatus(ctx context.Context, spec *cluster.Spec, o *statusOptions) *report.Report {
	r := report.Gather(ctx, spec, report.Options{Timeout: o.timeout})
	if o.drift {
		obs := plan.Observer{Dial: dialer(o.trustNew), Timeout: max(o.timeout, 10*time.Second)}
		p := plan.Diff(spec, obs.Observe(ctx, spec), plan.Options{})
		d := &report.Drift{Unobserved: len(p.Unobserved), Resources: []string{}}
		for _, res := range p.Drift() {
			d.Resources = append(d.Resources, res.Address)
		}
		d.Items = len(d.Resources)
		add, change, destroy := p.Counts()
		d.Changes = add + change + destroy
		r.Drift = d
	}
	return r
}

// stateCode is roma status's exit code for a cluster state.
func stateCode(state string) int {
	switch state {
	case status.OK:
		return exitOK
	case status.Degraded:
		return exitDegraded
	}
	return exitHalt
}

// statusWriter writes successive reports: JSON as a stream after one
// version message; other formats redrawn in place on a terminal (with
// --watch), one after the other otherwise.
type statusWriter struct {
	s        *streams
	format   string
	terminal bool
	color    bool
	js       *jsonStream
	n        int
}

func (w *statusWriter) write(r *report.Report) error {
	w.n++
	if w.format == "json" {
		if w.js == nil {
			w.js = newJSONStream(w.s.out)
		}
		var line bytes.Buffer
		_ = view.Summary(&line, r, view.Options{})
		w.js.emit(map[string]any{
			"@level": level(r.State), "@message": string(bytes.TrimSpace(line.Bytes())),
			"type": "status", "status": view.Versioned(r),
		})
		return nil
	}
	var b bytes.Buffer
	if err := view.Render(&b, w.format, r, view.Options{Color: w.color}); err != nil {
		return err
	}
	switch {
	case w.terminal:
		// Home, clear the screen, then the report: redrawn in place.
		_, err := io.WriteString(w.s.out, "\x1b[H\x1b[2J"+b.String())
		return err
	case w.n > 1 && w.format != "summary":
		// Reports one after the other, a blank line apart.
		if _, err := io.WriteString(w.s.out, "\n"); err != nil {
			return err
		}
	}
	_, err := w.s.out.Write(b.Bytes())
	return err
}

func level(state string) string {
	switch state {
	case status.OK:
		return "info"
	case status.Degraded:
		return "warn"
	}
	return "error"
}

// outIsTerminal reports whether w is a terminal.
func outIsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
