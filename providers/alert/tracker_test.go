package alert

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

// at is t0 plus s seconds.
func at(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

// sent is a Delivery as the table tests compare it.
type sent struct {
	To, Kind, Node, Incident string
}

func summarize(ds []Delivery) []sent {
	var out []sent
	for _, d := range ds {
		out = append(out, sent{d.Destination, d.Alert.Kind, d.Alert.Node, d.Alert.Incident})
	}
	return out
}

// step is one observation and the alerts it must raise.
type step struct {
	at    int // seconds after t0
	state string
	down  map[string]int // node: down since, in seconds after t0
	want  []sent
}

func (s step) observation() Observation {
	o := Observation{Time: at(s.at), State: s.state}
	if s.down != nil {
		o.Down = map[string]time.Time{}
		for n, since := range s.down {
			o.Down[n] = at(since)
		}
	}
	return o
}

// nopSender accepts every alert.
type nopSender struct{}

func (nopSender) Send(context.Context, Alert) error { return nil }

// destinations are "mail" (down_for 60s) and "hook" (down_for 30s).
func testDestinations() []Destination {
	return []Destination{
		{Name: "mail", Sender: nopSender{}, DownFor: 60 * time.Second},
		{Name: "hook", Sender: nopSender{}, DownFor: 30 * time.Second},
	}
}

const (
	haltID    = "shop/halt/20260102T150405Z"
	node1ID60 = "shop/node_down/db1-7000/20260102T150505Z" // opened at t0+60s
	node1ID30 = "shop/node_down/db1-7000/20260102T150435Z" // opened at t0+30s
)

func TestTracker(t *testing.T) {
	mailOnly := testDestinations()[:1]
	n1 := func(since int) map[string]int { return map[string]int{"db1-7000": since} }

	tests := map[string]struct {
		dests      []Destination
		noResolved bool
		steps      []step
	}{
		"HALT alerts once per incident": {
			steps: []step{
				{at: 0, state: StateOK},
				{at: 0, state: StateHalt, want: []sent{{"mail", KindHalt, "", haltID}, {"hook", KindHalt, "", haltID}}},
				{at: 1, state: StateHalt},
				{at: 100, state: StateHalt},
				{at: 10000, state: StateHalt},
			},
		},
		"HALT flapping is one incident": {
			dests: mailOnly,
			steps: []step{
				{at: 0, state: StateHalt, want: []sent{{"mail", KindHalt, "", haltID}}},
				{at: 10, state: StateDegraded},
				{at: 20, state: StateHalt},
				{at: 30, state: StateOK},
				{at: 40, state: StateHalt},
				{at: 50, state: StateOK},
				{at: 349, state: StateOK},
				{at: 350, state: StateOK, want: []sent{{"mail", KindResolved, "", haltID}}},
				{at: 351, state: StateOK},
			},
		},
		"HALT again after the incident is over is a new incident": {
			dests: mailOnly,
			steps: []step{
				{at: 0, state: StateHalt, want: []sent{{"mail", KindHalt, "", haltID}}},
				{at: 10, state: StateOK},
				{at: 310, state: StateOK, want: []sent{{"mail", KindResolved, "", haltID}}},
				{at: 320, state: StateHalt, want: []sent{{"mail", KindHalt, "", "shop/halt/20260102T150925Z"}}},
				{at: 321, state: StateHalt},
			},
		},
		"node down longer than down_for alerts once": {
			dests: mailOnly,
			steps: []step{
				{at: 0, state: StateDegraded, down: n1(0)},
				{at: 59, state: StateDegraded, down: n1(0)},
				{at: 60, state: StateDegraded, down: n1(0), want: []sent{{"mail", KindNodeDown, "db1-7000", node1ID60}}},
				{at: 61, state: StateDegraded, down: n1(0)},
				{at: 6000, state: StateDegraded, down: n1(0)},
			},
		},
		"each destination has its own down_for": {
			steps: []step{
				{at: 29, state: StateDegraded, down: n1(0)},
				{at: 30, state: StateDegraded, down: n1(0), want: []sent{{"hook", KindNodeDown, "db1-7000", node1ID30}}},
				{at: 60, state: StateDegraded, down: n1(0), want: []sent{{"mail", KindNodeDown, "db1-7000", node1ID30}}},
				{at: 70, state: StateOK},
				{at: 370, state: StateOK, want: []sent{{"mail", KindResolved, "db1-7000", node1ID30}, {"hook", KindResolved, "db1-7000", node1ID30}}},
			},
		},
		"resolved only to the destinations that were told": {
			steps: []step{
				{at: 45, state: StateDegraded, down: n1(0), want: []sent{{"hook", KindNodeDown, "db1-7000", "shop/node_down/db1-7000/20260102T150450Z"}}},
				{at: 50, state: StateOK},
				{at: 350, state: StateOK, want: []sent{{"hook", KindResolved, "db1-7000", "shop/node_down/db1-7000/20260102T150450Z"}}},
			},
		},
		"a short outage alerts no one": {
			steps: []step{
				{at: 0, state: StateDegraded, down: n1(0)},
				{at: 29, state: StateDegraded, down: n1(0)},
				{at: 30, state: StateOK},
				{at: 1000, state: StateOK},
			},
		},
		"a flapping node is one incident": {
			dests: mailOnly,
			steps: []step{
				{at: 60, state: StateDegraded, down: n1(0), want: []sent{{"mail", KindNodeDown, "db1-7000", node1ID60}}},
				{at: 61, state: StateOK},
				{at: 80, state: StateDegraded, down: n1(80)},
				{at: 140, state: StateDegraded, down: n1(80)},
				{at: 150, state: StateOK},
				{at: 160, state: StateDegraded, down: n1(160)},
				{at: 300, state: StateDegraded, down: n1(160)},
				{at: 310, state: StateOK},
				{at: 609, state: StateOK},
				{at: 610, state: StateOK, want: []sent{{"mail", KindResolved, "db1-7000", node1ID60}}},
				// Down again after the incident is over: a new one.
				{at: 700, state: StateDegraded, down: n1(700)},
				{at: 760, state: StateDegraded, down: n1(700), want: []sent{{"mail", KindNodeDown, "db1-7000", "shop/node_down/db1-7000/20260102T151645Z"}}},
			},
		},
		"HALT and down nodes together": {
			dests: mailOnly,
			steps: []step{
				{at: 0, state: StateHalt, down: map[string]int{"db1-7000": 0, "db2-7000": 0}, want: []sent{{"mail", KindHalt, "", haltID}}},
				{at: 60, state: StateHalt, down: map[string]int{"db1-7000": 0, "db2-7000": 0}, want: []sent{
					{"mail", KindNodeDown, "db1-7000", node1ID60},
					{"mail", KindNodeDown, "db2-7000", "shop/node_down/db2-7000/20260102T150505Z"},
				}},
				{at: 70, state: StateDegraded, down: map[string]int{"db1-7000": 0}},
				{at: 80, state: StateOK},
				{at: 370, state: StateOK, want: []sent{{"mail", KindResolved, "", haltID}, {"mail", KindResolved, "db2-7000", "shop/node_down/db2-7000/20260102T150505Z"}}},
				{at: 380, state: StateOK, want: []sent{{"mail", KindResolved, "db1-7000", node1ID60}}},
			},
		},
		"no resolved alerts": {
			dests:      mailOnly,
			noResolved: true,
			steps: []step{
				{at: 0, state: StateHalt, down: n1(0), want: []sent{{"mail", KindHalt, "", haltID}}},
				{at: 60, state: StateHalt, down: n1(0), want: []sent{{"mail", KindNodeDown, "db1-7000", node1ID60}}},
				{at: 70, state: StateOK},
				{at: 1000, state: StateOK},
				{at: 1001, state: StateHalt, want: []sent{{"mail", KindHalt, "", "shop/halt/20260102T152046Z"}}},
			},
		},
		"no destinations": {
			dests: []Destination{},
			steps: []step{
				{at: 0, state: StateHalt, down: n1(0)},
				{at: 100, state: StateOK},
				{at: 1000, state: StateOK},
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			dests := tt.dests
			if dests == nil {
				dests = testDestinations()
			}
			tr := NewTracker(Config{Cluster: "shop", Destinations: dests, NoResolved: tt.noResolved})
			for i, s := range tt.steps {
				got := summarize(tr.Observe(s.observation()))
				if diff := cmp.Diff(s.want, got); diff != "" {
					t.Errorf("step %d (t0+%ds, %s, down %v): alerts (-want +got):\n%s", i, s.at, s.state, s.down, diff)
				}
			}
		})
	}
}

// TestTrackerQuorum: a romad that reads no majority of the status nodes
// (no alpha, so no other alert) tells each destination once its down_for
// has passed, once per incident, and "resolved" once a majority has
// answered for Quiet.
func TestTrackerQuorum(t *testing.T) {
	tr := NewTracker(Config{Cluster: "shop", Destinations: testDestinations()})
	const id = "shop/status_quorum_lost/20260102T150435Z" // opened at t0+30s
	lost := func(now, since int) QuorumObservation {
		return QuorumObservation{Time: at(now), Romad: "db1", LostSince: at(since), Answering: 1, Total: 3, Down: []string{"st2", "st3"}}
	}
	back := func(now int) QuorumObservation {
		return QuorumObservation{Time: at(now), Romad: "db1", Answering: 3, Total: 3}
	}
	steps := []struct {
		q    QuorumObservation
		want []sent
	}{
		{lost(0, 0), nil},
		{lost(29, 0), nil},
		{lost(30, 0), []sent{{"hook", KindNoQuorum, "", id}}},
		{lost(31, 0), nil},
		{lost(60, 0), []sent{{"mail", KindNoQuorum, "", id}}},
		{back(70), nil},
		{lost(80, 80), nil}, // back within Quiet: the same incident
		{lost(200, 80), nil},
		{back(210), nil},
		{back(509), nil},
		{back(510), []sent{{"mail", KindResolved, "", id}, {"hook", KindResolved, "", id}}},
		{back(600), nil},
		{lost(700, 700), nil},
		{lost(730, 700), []sent{{"hook", KindNoQuorum, "", "shop/status_quorum_lost/20260102T151615Z"}}},
	}
	for i, s := range steps {
		ds := tr.ObserveQuorum(s.q)
		if diff := cmp.Diff(s.want, summarize(ds)); diff != "" {
			t.Errorf("step %d (t0+%s, lost since %v): alerts (-want +got):\n%s", i, s.q.Time.Sub(t0), s.q.LostSince, diff)
		}
		if i == 2 {
			a := ds[0].Alert
			wantBody := "romad on db1 has not read a majority of the status nodes of cluster shop since 2026-01-02 15:04:05 UTC (30s; this alert's down_for is 30s): 1 of 3 answer it."
			if a.Subject != "[roma shop] HALT for clients: 1 of 3 status nodes answer romad on db1" || !strings.HasPrefix(a.Body, wantBody) ||
				!strings.Contains(a.Body, "Status nodes that do not answer it: st2, st3") || a.State != StateHalt {
				t.Errorf("the alert: %+v", a)
			}
		}
	}
}

// TestTrackerMemoryFull: a nearly full master is its own incident, apart
// from the same node being down, opened per destination after DownFor,
// and resolved once it has had room for Quiet.
func TestTrackerMemoryFull(t *testing.T) {
	tr := NewTracker(Config{Cluster: "shop", Destinations: testDestinations()})
	const id = "shop/memory_full/db1-7000/20260102T150435Z" // opened at t0+30s
	const detail = "master db1-7000 uses 95% of its maxmemory"
	full := func(now, since int, down bool) Observation {
		o := Observation{Time: at(now), State: StateDegraded, Full: map[string]Full{"db1-7000": {Since: at(since), Detail: detail}}}
		if down {
			o.Down = map[string]time.Time{"db1-7000": at(since)}
		}
		return o
	}
	room := func(now int) Observation { return Observation{Time: at(now), State: StateOK} }
	steps := []struct {
		o    Observation
		want []sent
	}{
		{full(0, 0, false), nil},
		{full(29, 0, false), nil},
		{full(30, 0, false), []sent{{"hook", KindMemoryFull, "db1-7000", id}}},
		{full(60, 0, false), []sent{{"mail", KindMemoryFull, "db1-7000", id}}},
		{room(70), nil},
		{full(80, 80, false), nil}, // full again within Quiet: the same incident
		{room(90), nil},
		{room(389), nil},
		{room(390), []sent{{"mail", KindResolved, "db1-7000", id}, {"hook", KindResolved, "db1-7000", id}}},
		// The node down for as long is a node_down incident, not this one.
		{full(400, 400, true), nil},
		{full(430, 400, true), []sent{
			{"hook", KindNodeDown, "db1-7000", "shop/node_down/db1-7000/20260102T151115Z"},
			{"hook", KindMemoryFull, "db1-7000", "shop/memory_full/db1-7000/20260102T151115Z"},
		}},
	}
	for i, s := range steps {
		ds := tr.Observe(s.o)
		if diff := cmp.Diff(s.want, summarize(ds)); diff != "" {
			t.Errorf("step %d (t0+%s): alerts (-want +got):\n%s", i, s.o.Time.Sub(t0), diff)
		}
		if i == 2 {
			a := ds[0].Alert
			wantBody := "Master db1-7000 of cluster shop has been nearly full since 2026-01-02 15:04:05 UTC (30s; this alert's down_for is 30s), and it evicts nothing to make room: it refuses writes (OOM) once full."
			if a.Subject != "[roma shop] master db1-7000 nearly full: writes refused once full" || !strings.HasPrefix(a.Body, wantBody) ||
				!strings.Contains(a.Body, detail) || a.State != StateDegraded {
				t.Errorf("the alert: %+v", a)
			}
		}
		if i == 8 && !strings.HasPrefix(ds[0].Alert.Subject, "[roma shop] resolved: master db1-7000 has room again") {
			t.Errorf("the resolution: %+v", ds[0].Alert)
		}
	}
}

// TestTrackerBackupOverdue: backups overdue is one incident for the
// cluster, opened per destination after DownFor, and resolved once
// backups have run again for Quiet.
func TestTrackerBackupOverdue(t *testing.T) {
	tr := NewTracker(Config{Cluster: "shop", Destinations: testDestinations()})
	const id = "shop/backup_overdue/20260102T150435Z" // opened at t0+30s
	last := at(-12 * 3600)
	overdue := func(now int) Observation {
		return Observation{Time: at(now), State: StateOK, BackupOverdue: at(0), LastBackup: last, BackupEvery: 6 * time.Hour, BackupHost: "db3"}
	}
	fine := func(now int) Observation { return Observation{Time: at(now), State: StateOK} }
	steps := []struct {
		o    Observation
		want []sent
	}{
		{fine(-10), nil},
		{overdue(0), nil},
		{overdue(29), nil},
		{overdue(30), []sent{{"hook", KindBackupOverdue, "", id}}},
		{overdue(31), nil},
		{overdue(60), []sent{{"mail", KindBackupOverdue, "", id}}},
		{fine(100), nil},
		{fine(399), nil},
		{fine(400), []sent{{"mail", KindResolved, "", id}, {"hook", KindResolved, "", id}}},
	}
	for i, s := range steps {
		ds := tr.Observe(s.o)
		if diff := cmp.Diff(s.want, summarize(ds)); diff != "" {
			t.Errorf("step %d (t0+%s): alerts (-want +got):\n%s", i, s.o.Time.Sub(t0), diff)
		}
		if i == 3 {
			a := ds[0].Alert
			wantBody := "The last backup of cluster shop began 2026-01-02 03:04:05 UTC (12h0m30s ago), and roma.hcl asks for one every 6h0m0s: scheduled backups are overdue since 2026-01-02 15:04:05 UTC.\n" +
				"romad on the backup host db3 takes them: check that it runs (roma plan shows it), and its log.\n"
			if a.Subject != "[roma shop] backups overdue: none for 12h0m30s" || !strings.HasPrefix(a.Body, wantBody) {
				t.Errorf("the alert: %q\n%s", a.Subject, a.Body)
			}
		}
	}
}

// TestTrackerNeverStorms flaps the cluster and its nodes at random for a
// day and checks the promise: per destination and condition, opening
// alerts are at least Quiet apart, and every incident has one opening
// and at most one resolved alert.
func TestTrackerNeverStorms(t *testing.T) {
	const quiet = 5 * time.Minute
	tr := NewTracker(Config{Cluster: "shop", Destinations: testDestinations(), Quiet: quiet, Retry: Retry{Queue: 100000}})
	rng := rand.New(rand.NewPCG(1, 2))
	nodes := []string{"db1-7000", "db2-7000", "db3-7000"}
	down := map[string]time.Time{}
	lastOpen := map[string]time.Time{}   // destination + condition: last opening alert
	perIncident := map[string][]string{} // destination + incident: kinds
	total := 0
	// Phases of half an hour: fast flapping, calm, slow flapping (gaps
	// up to 10 minutes, so incidents close and open again).
	gap := []int{20, 60, 600}
	for s := 0; s < 24*3600; s += 1 + rng.IntN(gap[s/1800%3]) {
		now := at(s)
		if s/1800%3 == 1 {
			clear(down)
		}
		for _, n := range nodes {
			if s/1800%3 != 1 && rng.IntN(4) == 0 {
				if _, ok := down[n]; ok {
					delete(down, n)
				} else {
					down[n] = now
				}
			}
		}
		state := StateOK
		if len(down) > 0 {
			state = StateDegraded
		}
		if len(down) >= 2 {
			state = StateHalt
		}
		obs := Observation{Time: now, State: state, Down: map[string]time.Time{}}
		for n, since := range down {
			obs.Down[n] = since
		}
		for _, d := range tr.Observe(obs) {
			total++
			a := d.Alert
			key := d.Destination + " " + a.Kind + " " + a.Node
			perIncident[d.Destination+" "+a.Incident] = append(perIncident[d.Destination+" "+a.Incident], a.Kind)
			if a.Kind == KindResolved {
				continue
			}
			if last, ok := lastOpen[key]; ok && now.Sub(last) < quiet {
				t.Errorf("%s: opening alerts %v apart (at %v and %v)", key, now.Sub(last), last, now)
			}
			lastOpen[key] = now
		}
	}
	for key, kinds := range perIncident {
		if len(kinds) > 2 || kinds[0] == KindResolved || (len(kinds) == 2 && kinds[1] != KindResolved) {
			t.Errorf("%s: alerts %v, want one opening and at most one resolved", key, kinds)
		}
	}
	// A day of flapping every few seconds: at most 2 alerts per Quiet per
	// destination and condition (2 destinations, 4 conditions).
	if limit := 2 * 2 * 4 * int(24*time.Hour/quiet); total > limit || total == 0 {
		t.Errorf("%d alerts in a day, want between 1 and %d", total, limit)
	}
	t.Logf("%d alerts in a day of flapping", total)
}

func TestTrackerNotify(t *testing.T) {
	tr := NewTracker(Config{Cluster: "shop", Destinations: testDestinations()})
	backup := func(s int) Alert {
		return Alert{Kind: KindBackupFailed, Subject: "[roma shop] backup failed", Body: "disk full", Time: at(s)}
	}
	want := func(s int) []Delivery {
		a := backup(s)
		a.Cluster = "shop"
		a.Incident = fmt.Sprintf("shop/backup_failed/%s", at(s).Format("20060102T150405Z"))
		return []Delivery{{Destination: "mail", Alert: a}, {Destination: "hook", Alert: a}}
	}
	for _, c := range []struct {
		at   int
		want []Delivery
	}{
		{0, want(0)},
		{299, nil}, // within Quiet of the last: dropped
		{300, want(300)},
	} {
		if diff := cmp.Diff(c.want, tr.Notify(backup(c.at))); diff != "" {
			t.Errorf("Notify at t0+%ds (-want +got):\n%s", c.at, diff)
		}
	}
}

// TestTrackerTexts checks whole alerts, words and all.
func TestTrackerTexts(t *testing.T) {
	tr := NewTracker(Config{Cluster: "shop", Destinations: testDestinations()[:1]})
	down := map[string]time.Time{"db1-7000": at(-5), "db2-7000": at(-65)}
	halt := tr.Observe(Observation{Time: at(0), State: StateHalt, Down: down, Detail: "partition 1 has no master: db1-7000 and db2-7000 are down",
		Why: map[string]string{"db2-7000": "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk"}})
	tr.Observe(Observation{Time: at(10), State: StateOK})
	resolved := tr.Observe(Observation{Time: at(310), State: StateOK})

	footer := "\nIncident %s. Run `roma status` for the whole cluster.\n" +
		"No other alert comes for this incident, however it flaps, until it has been clear for 5m0s: then a \"resolved\" one.\n"
	node2ID := "shop/node_down/db2-7000/20260102T150405Z"
	want := []Delivery{
		{Destination: "mail", Alert: Alert{
			Cluster: "shop", Kind: KindHalt, Time: at(0), Incident: haltID, State: StateHalt,
			Subject: "[roma shop] HALT: a partition has no master",
			Body: "Cluster shop is in HALT since 2026-01-02 15:04:05 UTC: a partition has no master, so its keys can be neither read nor written.\n" +
				"\npartition 1 has no master: db1-7000 and db2-7000 are down\n" +
				"\nNodes down:\n" +
				"  db1-7000 since 2026-01-02 15:04:00 UTC (5s)\n" +
				"  db2-7000 since 2026-01-02 15:03:00 UTC (1m5s)\n" +
				fmt.Sprintf(footer, haltID),
		}},
		{Destination: "mail", Alert: Alert{
			Cluster: "shop", Kind: KindNodeDown, Time: at(0), Incident: node2ID, Node: "db2-7000", State: StateHalt,
			Subject: "[roma shop] node db2-7000 down for 1m5s",
			Body: "Node db2-7000 of cluster shop has been down since 2026-01-02 15:03:00 UTC (1m5s; this alert's down_for is 1m0s).\n" +
				"The last try to reach it met: MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk\n" +
				"The cluster is HALT.\n" +
				fmt.Sprintf(footer, node2ID),
		}},
	}
	if diff := cmp.Diff(want, halt); diff != "" {
		t.Errorf("HALT alerts (-want +got):\n%s", diff)
	}
	want = []Delivery{
		{Destination: "mail", Alert: Alert{
			Cluster: "shop", Kind: KindResolved, Time: at(310), Incident: haltID, State: StateOK,
			Subject: "[roma shop] resolved: cluster out of HALT",
			Body: "Cluster shop left HALT at 2026-01-02 15:04:15 UTC and has stayed out of it for 5m0s.\n" +
				"The cluster is OK.\n" +
				"\nIncident " + haltID + ", opened 2026-01-02 15:04:05 UTC, is over.\n",
		}},
		{Destination: "mail", Alert: Alert{
			Cluster: "shop", Kind: KindResolved, Time: at(310), Incident: node2ID, Node: "db2-7000", State: StateOK,
			Subject: "[roma shop] resolved: node db2-7000 is back",
			Body: "Node db2-7000 of cluster shop has not been down since 2026-01-02 15:04:15 UTC (5m0s).\n" +
				"The cluster is OK.\n" +
				"\nIncident " + node2ID + ", opened 2026-01-02 15:04:05 UTC, is over.\n",
		}},
	}
	if diff := cmp.Diff(want, resolved); diff != "" {
		t.Errorf("resolved alerts (-want +got):\n%s", diff)
	}
}
