package alert

import (
	"fmt"
	"strings"
	"time"
)

// The words of the Tracker's alerts. Each says what happened, since when,
// and the incident, and ends with where to look next.

func haltAlert(cfg Config, inc *incident, o Observation) Alert {
	var b strings.Builder
	fmt.Fprintf(&b, "Cluster %s is in HALT since %s: a partition has no master, so its keys can be neither read nor written.\n",
		cfg.Cluster, stamp(inc.opened))
	if o.Detail != "" {
		fmt.Fprintf(&b, "\n%s\n", strings.TrimSpace(o.Detail))
	}
	if len(o.Down) > 0 {
		b.WriteString("\nNodes down:\n")
		for _, n := range sortedKeys(o.Down) {
			fmt.Fprintf(&b, "  %s since %s (%s)\n", n, stamp(o.Down[n]), ago(o.Time, o.Down[n]))
		}
	}
	footer(&b, cfg, inc)
	return Alert{
		Cluster:  cfg.Cluster,
		Kind:     KindHalt,
		Subject:  fmt.Sprintf("[roma %s] HALT: a partition has no master", cfg.Cluster),
		Body:     b.String(),
		Time:     o.Time,
		Incident: inc.id,
		State:    o.State,
	}
}

func nodeDownAlert(cfg Config, inc *incident, o Observation, since time.Time, downFor time.Duration) Alert {
	var b strings.Builder
	fmt.Fprintf(&b, "Node %s of cluster %s has been down since %s (%s; this alert's down_for is %s).\n",
		inc.node, cfg.Cluster, stamp(since), ago(o.Time, since), downFor)
	if why := o.Why[inc.node]; why != "" {
		fmt.Fprintf(&b, "The last try to reach it met: %s\n", why)
	}
	if o.State != "" {
		fmt.Fprintf(&b, "The cluster is %s.\n", o.State)
	}
	footer(&b, cfg, inc)
	return Alert{
		Cluster:  cfg.Cluster,
		Kind:     KindNodeDown,
		Subject:  fmt.Sprintf("[roma %s] node %s down for %s", cfg.Cluster, inc.node, ago(o.Time, since)),
		Body:     b.String(),
		Time:     o.Time,
		Incident: inc.id,
		Node:     inc.node,
		State:    o.State,
	}
}

func memoryFullAlert(cfg Config, inc *incident, o Observation, f Full, downFor time.Duration) Alert {
	var b strings.Builder
	fmt.Fprintf(&b, "Master %s of cluster %s has been nearly full since %s (%s; this alert's down_for is %s), and it evicts nothing to make room: it refuses writes (OOM) once full.\n",
		inc.node, cfg.Cluster, stamp(f.Since), ago(o.Time, f.Since), downFor)
	if f.Detail != "" {
		fmt.Fprintf(&b, "\n%s\n", strings.TrimSpace(f.Detail))
	}
	footer(&b, cfg, inc)
	return Alert{
		Cluster:  cfg.Cluster,
		Kind:     KindMemoryFull,
		Subject:  fmt.Sprintf("[roma %s] master %s nearly full: writes refused once full", cfg.Cluster, inc.node),
		Body:     b.String(),
		Time:     o.Time,
		Incident: inc.id,
		Node:     inc.node,
		State:    o.State,
	}
}

func backupOverdueAlert(cfg Config, inc *incident, o Observation) Alert {
	var b strings.Builder
	last := "No backup of cluster " + cfg.Cluster + " has been recorded"
	if !o.LastBackup.IsZero() {
		last = fmt.Sprintf("The last backup of cluster %s began %s (%s ago)", cfg.Cluster, stamp(o.LastBackup), ago(o.Time, o.LastBackup))
	}
	fmt.Fprintf(&b, "%s, and roma.hcl asks for one every %s: scheduled backups are overdue since %s.\n", last, o.BackupEvery, stamp(o.BackupOverdue))
	fmt.Fprintf(&b, "romad on the backup host %s takes them: check that it runs (roma plan shows it), and its log.\n", o.BackupHost)
	footer(&b, cfg, inc)
	return Alert{
		Cluster:  cfg.Cluster,
		Kind:     KindBackupOverdue,
		Subject:  backupOverdueSubject(cfg, o),
		Body:     b.String(),
		Time:     o.Time,
		Incident: inc.id,
		State:    o.State,
	}
}

func backupOverdueSubject(cfg Config, o Observation) string {
	if o.LastBackup.IsZero() {
		return fmt.Sprintf("[roma %s] backups overdue: none recorded", cfg.Cluster)
	}
	return fmt.Sprintf("[roma %s] backups overdue: none for %s", cfg.Cluster, ago(o.Time, o.LastBackup))
}

func noQuorumAlert(cfg Config, inc *incident, q QuorumObservation, downFor time.Duration) Alert {
	var b strings.Builder
	fmt.Fprintf(&b, "romad on %s has not read a majority of the status nodes of cluster %s since %s (%s; this alert's down_for is %s): %d of %d answer it.\n",
		q.Romad, cfg.Cluster, stamp(q.LostSince), ago(q.Time, q.LostSince), downFor, q.Answering, q.Total)
	b.WriteString("Clients that cannot read a majority of them treat the cluster as HALT, and no romad can be alpha: nothing fails over, and no other alert comes.\n")
	if len(q.Down) > 0 {
		fmt.Fprintf(&b, "\nStatus nodes that do not answer it: %s\n", strings.Join(q.Down, ", "))
	}
	footer(&b, cfg, inc)
	return Alert{
		Cluster:  cfg.Cluster,
		Kind:     KindNoQuorum,
		Subject:  fmt.Sprintf("[roma %s] HALT for clients: %d of %d status nodes answer romad on %s", cfg.Cluster, q.Answering, q.Total, q.Romad),
		Body:     b.String(),
		Time:     q.Time,
		Incident: inc.id,
		State:    StateHalt,
	}
}

func resolvedAlert(cfg Config, inc *incident, o Observation) Alert {
	var b strings.Builder
	var subject string
	switch inc.kind {
	case KindNoQuorum:
		subject = fmt.Sprintf("[roma %s] resolved: a majority of the status nodes answers again", cfg.Cluster)
		fmt.Fprintf(&b, "A majority of the status nodes of cluster %s has answered since %s (%s).\n", cfg.Cluster, stamp(inc.cleared), ago(o.Time, inc.cleared))
	case KindBackupOverdue:
		subject = fmt.Sprintf("[roma %s] resolved: backups are taken again", cfg.Cluster)
		fmt.Fprintf(&b, "A backup of cluster %s has been recorded since %s (%s).\n", cfg.Cluster, stamp(inc.cleared), ago(o.Time, inc.cleared))
	case KindHalt:
		subject = fmt.Sprintf("[roma %s] resolved: cluster out of HALT", cfg.Cluster)
		fmt.Fprintf(&b, "Cluster %s left HALT at %s and has stayed out of it for %s.\n", cfg.Cluster, stamp(inc.cleared), ago(o.Time, inc.cleared))
	case KindMemoryFull:
		subject = fmt.Sprintf("[roma %s] resolved: master %s has room again", cfg.Cluster, inc.node)
		fmt.Fprintf(&b, "Node %s of cluster %s has not been a nearly full master that evicts nothing since %s (%s).\n", inc.node, cfg.Cluster, stamp(inc.cleared), ago(o.Time, inc.cleared))
	default:
		subject = fmt.Sprintf("[roma %s] resolved: node %s is back", cfg.Cluster, inc.node)
		fmt.Fprintf(&b, "Node %s of cluster %s has not been down since %s (%s).\n", inc.node, cfg.Cluster, stamp(inc.cleared), ago(o.Time, inc.cleared))
	}
	if o.State != "" {
		fmt.Fprintf(&b, "The cluster is %s.\n", o.State)
	}
	fmt.Fprintf(&b, "\nIncident %s, opened %s, is over.\n", inc.id, stamp(inc.opened))
	return Alert{
		Cluster:  cfg.Cluster,
		Kind:     KindResolved,
		Subject:  subject,
		Body:     b.String(),
		Time:     o.Time,
		Incident: inc.id,
		Node:     inc.node,
		State:    o.State,
	}
}

func footer(b *strings.Builder, cfg Config, inc *incident) {
	fmt.Fprintf(b, "\nIncident %s. Run `roma status` for the whole cluster.\n", inc.id)
	if cfg.NoResolved {
		fmt.Fprintf(b, "No other alert comes for this incident, however it flaps, until it has been clear for %s.\n", cfg.Quiet)
	} else {
		fmt.Fprintf(b, "No other alert comes for this incident, however it flaps, until it has been clear for %s: then a \"resolved\" one.\n", cfg.Quiet)
	}
}

// stamp is a time as alerts show it: UTC, to the second.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 MST") }

// ago is how long before now t was, to the second.
func ago(now, t time.Time) time.Duration { return now.Sub(t).Round(time.Second) }
