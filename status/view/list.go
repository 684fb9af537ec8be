package view

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/roma-redis/roma/status/report"
)

// List writes r as a few lines about the cluster and the status nodes'
// agreement, an aligned table of the data nodes, a table of the status
// nodes, the last backup, the drift and the problems.
func List(w io.Writer, r *report.Report, o Options) error {
	var b strings.Builder
	from := "as published"
	if r.Source == report.SourceProbe {
		from = "from the direct probe"
	}
	fmt.Fprintf(&b, "Cluster %s: %s, %s (checked %s)\n", r.Cluster, paint(o, r.State, r.State), from, stamp(r.Checked))
	if p := r.Published; p != nil {
		fmt.Fprintf(&b, "Published: %s at epoch %d by alpha %s, updated %s (%s ago)", p.State, p.Epoch, dash(p.Alpha), stamp(p.Updated), ago(p.Updated, r.Checked))
		if p.Maintenance {
			b.WriteString(", maintenance")
		}
		b.WriteByte('\n')
	} else {
		b.WriteString("Published: no status could be read\n")
	}
	a := r.Agreement
	fmt.Fprintf(&b, "Status nodes: %d of %d answered, %d agree on the latest epoch\n\n", a.Answered, a.Total, a.Agreeing)

	t := table{header: []string{"PART", "NODE", "ADDRESS", "ROLE", "STATE", "SINCE", "LINK", "LAG", "MEMORY", "KEYS"}}
	for _, n := range r.Nodes {
		mem, keys := "-", "-"
		if n.State != "down" {
			mem, keys = size(n.Memory), strconv.FormatInt(n.Keys, 10)
		}
		name := n.Name
		if n.Undeclared {
			name += " (not in roma.hcl)"
		}
		state := n.State
		if n.Stopped != nil {
			state = "stopped" // by roma stop, on purpose
		}
		t.add(n.State, strconv.Itoa(n.Partition), name, n.Addr, dash(n.Role), state, ago(n.Since, r.Checked), dash(n.Link), lag(n), mem, keys)
	}
	t.write(&b, o, 4)
	b.WriteByte('\n')
	st := table{header: []string{"STATUS NODE", "ADDRESS", "STATE", "EPOCH"}}
	for _, s := range r.StatusNodes {
		state, epoch, shown := "down", "-", "down"
		if s.Up {
			state, epoch = "up", strconv.FormatInt(s.Epoch, 10)
			shown = state
		} else if s.Stopped != nil {
			shown = "stopped" // by roma stop, on purpose
		}
		st.add(state, s.Name, s.Addr, shown, epoch)
	}
	st.write(&b, o, 2)

	b.WriteByte('\n')
	if bk := r.Backup; bk != nil {
		ok := "ok"
		if !bk.OK {
			ok = "FAILED (" + bk.Error + ")"
		}
		fmt.Fprintf(&b, "Last backup: %s at %s (%s ago), took %.1fs, id %s\n", ok, stamp(bk.Time), ago(bk.Time, r.Checked), bk.Duration, bk.ID)
	} else {
		b.WriteString("Last backup: none recorded\n")
	}
	if d := r.Drift; d != nil {
		fmt.Fprintf(&b, "Drift: %s changed outside roma", plural(d.Items, "resource", "resources"))
		if len(d.Resources) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(d.Resources, ", "))
		}
		fmt.Fprintf(&b, "; %s pending", plural(d.Changes, "change", "changes"))
		if d.Unobserved > 0 {
			fmt.Fprintf(&b, "; %d could not be observed", d.Unobserved)
		}
		b.WriteByte('\n')
	}
	if len(r.Problems) > 0 {
		b.WriteString("Problems:\n")
		for _, p := range r.Problems {
			fmt.Fprintf(&b, "  - %s\n", p)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// table aligns plain-text cells in columns two spaces apart; colour is
// added after padding so that it does not upset the widths.
type table struct {
	header []string
	rows   [][]string
	states []string // per row: the state that colours its state cell
}

func (t *table) add(state string, cells ...string) {
	t.rows = append(t.rows, cells)
	t.states = append(t.states, state)
}

// write writes the table; column stateCol is coloured after each row's
// state.
func (t *table) write(b *strings.Builder, o Options, stateCol int) {
	width := make([]int, len(t.header))
	for _, row := range append([][]string{t.header}, t.rows...) {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	line := func(row []string, state string) {
		for i, c := range row {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i == stateCol && state != "" {
				c = paint(o, state, c)
			}
			if i == len(row)-1 {
				pad = ""
			} else {
				pad += "  "
			}
			b.WriteString(c + pad)
		}
		b.WriteByte('\n')
	}
	line(t.header, "")
	for i, row := range t.rows {
		line(row, t.states[i])
	}
}
