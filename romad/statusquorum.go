package romad

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/roma-redis/roma/providers/alert"
	"github.com/roma-redis/roma/status"
)

// statusQuorum is what this romad sees of the status nodes, by its own
// probes (a status node is down once it has not answered for
// down_after).
type statusQuorum struct {
	answering, total int
	down             []string // the status nodes down, sorted
	// lostSince is when a majority last answered, while none does; zero
	// while a majority answers.
	lostSince time.Time
}

// statusQuorum returns what this romad sees of the status nodes now.
func (d *Daemon) statusQuorum() statusQuorum {
	var q statusQuorum
	var lastOK []time.Time
	for name, v := range d.views {
		s := v.snap(d.downAfter)
		if s.Partition >= 0 {
			continue
		}
		q.total++
		if s.Up {
			q.answering++
		} else {
			q.down = append(q.down, name)
		}
		lastOK = append(lastOK, s.LastOK)
	}
	m := status.Majority(q.total)
	if q.total == 0 || q.answering >= m {
		return statusQuorum{answering: q.answering, total: q.total}
	}
	slices.Sort(q.down)
	// The m-th most recent answer: until then, m of them had answered.
	slices.SortFunc(lastOK, func(a, b time.Time) int { return b.Compare(a) })
	q.lostSince = lastOK[m-1]
	if q.lostSince.IsZero() || q.lostSince.Before(d.started) {
		q.lostSince = d.started
	}
	return q
}

// problem says, when no majority of the status nodes answers, what that
// means for the cluster; "" while one does.
func (q statusQuorum) problem() string {
	if q.lostSince.IsZero() {
		return ""
	}
	return fmt.Sprintf("only %d of %d status nodes answer this romad (%s down): clients that cannot read a majority of them treat the cluster as HALT, and no romad can be alpha to fail a master over",
		q.answering, q.total, strings.Join(q.down, ", "))
}

// served returns the status this romad serves (HTTP, metrics): the one it
// last wrote or read, but, while no majority of the status nodes answers
// it, in HALT, as clients see the cluster then, with the status nodes down
// that it sees down; and what it sees of the status nodes. The status is
// nil before any was written or read.
func (d *Daemon) served() (*status.Status, statusQuorum) {
	st, q := d.Status(), d.statusQuorum()
	if st == nil || q.lostSince.IsZero() {
		return st, q
	}
	c := *st
	c.State = status.Halt
	c.Nodes = maps.Clone(st.Nodes)
	for _, name := range q.down {
		if ns, ok := c.Nodes[name]; ok && ns.State == status.NodeUp {
			ns.State = status.NodeDown
			c.Nodes[name] = ns
		}
	}
	return &c, q
}

// observeQuorum logs when the majority of the status nodes is lost and
// found again, and tells the alert tracker: every romad does, alpha or
// not, since without a majority no romad is alpha to send any other
// alert.
func (d *Daemon) observeQuorum() {
	q := d.statusQuorum()
	lost := !q.lostSince.IsZero()
	if lost != d.quorumLost {
		d.quorumLost = lost
		if lost {
			d.log.Error("no majority of status nodes answers: clients treat the cluster as HALT, and no romad can be alpha",
				"answering", q.answering, "status_nodes", q.total, "down", strings.Join(q.down, ","))
		} else {
			d.log.Info("a majority of status nodes answers again", "answering", q.answering, "status_nodes", q.total)
		}
	}
	if d.alerts != nil {
		d.alerts.ObserveQuorum(alert.QuorumObservation{Romad: d.cfg.Self, LostSince: q.lostSince, Answering: q.answering, Total: q.total, Down: q.down})
	}
}
