package restore

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/roma-redis/roma/backup"
)

// WritePlan shows a plan the way roma restore asks for approval.
func WritePlan(w io.Writer, p *Plan) error {
	m := p.Backup
	var b strings.Builder
	fmt.Fprintf(&b, "Backup %s of cluster %s, in %s\n", m.ID, m.Cluster, p.Store)
	kind := "each partition at its own moment"
	if m.Consistent {
		kind = fmt.Sprintf("consistent: one point in time, writes paused %.1f ms", m.PausedMS)
	}
	fmt.Fprintf(&b, "  taken %s (%s ago), %s\n", m.Started.Format(time.RFC3339), ago(p.Prepared, m.Started), kind)
	keys := "uncounted"
	if k := m.Keys(); k >= 0 {
		keys = fmt.Sprint(k)
	}
	fmt.Fprintf(&b, "  %d partitions, hash %s, %s, %s keys; every file read back and verified (size, SHA-256, CRC-64, keys)\n\n",
		m.Partitions, m.Hash, backup.HumanSize(m.Size()), keys)
	b.WriteString("roma restore will overwrite:\n")
	for _, pp := range p.Partitions {
		fkeys := "uncounted keys"
		if pp.File.Keys >= 0 {
			fkeys = fmt.Sprintf("%d keys", pp.File.Keys)
		}
		fmt.Fprintf(&b, "\n  partition.%d  <- %s (%s, %s, from %s)\n", pp.P, pp.File.Name, backup.HumanSize(pp.File.Size), fkeys, pp.File.Node)
		fmt.Fprintf(&b, "    ~ %-20s %s; gets the backup and comes up master%s\n", pp.Master.Name, now(pp.Master), aofNote(pp.Master))
		for _, r := range pp.Replicas {
			fmt.Fprintf(&b, "    ~ %-20s %s; emptied, then copies the master (full sync)%s\n", r.Name, now(r), aofNote(r))
		}
	}
	fmt.Fprintf(&b, "\nRestore: %d partitions overwritten. Every node of them stops for the restore; "+
		"the cluster is locked and in maintenance meanwhile.\n", len(p.Partitions))
	_, err := io.WriteString(w, b.String())
	return err
}

func now(n NodePlan) string {
	if !n.Up {
		return "down now"
	}
	return fmt.Sprintf("%s now, %d keys", n.Role, n.Keys)
}

func aofNote(n NodePlan) string {
	if n.AOF {
		return " (its append-only file is replaced)"
	}
	return ""
}

func ago(now, t time.Time) string {
	d := now.Sub(t).Round(time.Second)
	if d < 0 {
		d = 0
	}
	return d.String()
}
