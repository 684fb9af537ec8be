package view

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/roma-redis/roma/status/report"
)

// Summary writes r as one line that starts with the state, for
// monitoring and for a glance:
//
//	DEGRADED shop: 5/6 nodes up (down: db2-7000), 3/3 partitions served; epoch 7, alpha db1; status nodes 3/3 agree; state from the probe
func Summary(w io.Writer, r *report.Report, o Options) error {
	var b strings.Builder
	b.WriteString(paint(o, r.State, r.State))
	fmt.Fprintf(&b, " %s: %d/%d nodes up", r.Cluster, r.Up(), len(r.Nodes))
	var down []string
	if d := r.Down(); len(d) > 0 {
		down = append(down, "down: "+strings.Join(d, ", "))
	}
	if s := r.Stopped(); len(s) > 0 {
		down = append(down, "stopped by roma stop: "+strings.Join(s, ", "))
	}
	if len(down) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(down, "; "))
	}
	fmt.Fprintf(&b, ", %d/%d partitions served", r.Serving(), len(r.Partitions))
	if ns := unserved(r); len(ns) > 0 {
		fmt.Fprintf(&b, " (no master: %s)", strings.Join(ns, ", "))
	}
	if p := r.Published; p != nil {
		fmt.Fprintf(&b, "; epoch %d, alpha %s", p.Epoch, dash(p.Alpha))
	}
	a := r.Agreement
	switch {
	case a.Total == 0:
		b.WriteString("; no status nodes")
	case a.Answered == a.Total && a.Agreeing == a.Total:
		fmt.Fprintf(&b, "; status nodes %d/%d agree", a.Agreeing, a.Total)
	case a.Agreeing < a.Answered:
		fmt.Fprintf(&b, "; status nodes %d/%d answered, %d agree", a.Answered, a.Total, a.Agreeing)
	default:
		fmt.Fprintf(&b, "; status nodes %d/%d answered", a.Answered, a.Total)
	}
	if r.Source == report.SourceProbe {
		b.WriteString("; state from the probe")
	}
	if bk := r.Backup; bk != nil {
		ok := "ok"
		if !bk.OK {
			ok = "FAILED"
		}
		fmt.Fprintf(&b, "; last backup %s %s ago", ok, ago(bk.Time, r.Checked))
	}
	if d := r.Drift; d != nil {
		fmt.Fprintf(&b, "; drift %d", d.Items)
	}
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}

// unserved lists the partitions without a master serving them.
func unserved(r *report.Report) []string {
	var out []string
	for _, p := range r.Partitions {
		if !p.Serving {
			out = append(out, strconv.Itoa(p.Index))
		}
	}
	return out
}

// paint colours s after state (or a node state) when o asks for colour.
func paint(o Options, state, s string) string {
	if !o.Color {
		return s
	}
	code := ""
	switch state {
	case "OK", "up":
		code = "32"
	case "DEGRADED", "loading", "syncing":
		code = "33"
	case "HALT", "down":
		code = "31"
	default:
		return s
	}
	return "\x1b[1;" + code + "m" + s + "\x1b[0m"
}
