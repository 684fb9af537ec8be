package alert

import (
	"sort"
	"strings"
	"sync"
	"time"
)

// Cluster states, as romad publishes them.
const (
	StateOK       = "OK"
	StateDegraded = "DEGRADED"
	StateHalt     = "HALT"
)

// DefaultQuiet is how long a condition must stay clear before its
// incident is over, when Config sets no Quiet.
const DefaultQuiet = 5 * time.Minute

// Observation is what romad saw of the cluster at one moment.
type Observation struct {
	// Time is when it was seen; the Tracker reads no clock of its own,
	// so tests choose it. Zero means now.
	Time time.Time
	// State is the cluster state: StateOK, StateDegraded or StateHalt.
	State string
	// Down holds each node that is down now, with the time it went down.
	Down map[string]time.Time
	// Why holds, for nodes in Down, what the last try to reach it met
	// (a refused connection, a timeout, a MISCONF reply), when known.
	Why map[string]string
	// Detail, when set, says why the cluster is in HALT (which partition
	// has no master); it goes into the HALT alert.
	Detail string
	// Full holds each master that evicts nothing and uses nearly all of
	// its maxmemory, or all of it: it refuses writes (OOM) once full.
	Full map[string]Full
	// BackupOverdue, when set, is since when scheduled backups are
	// overdue: the last one, LastBackup (zero: none seen), began longer
	// ago than twice the backup block's every, BackupEvery.
	BackupOverdue, LastBackup time.Time
	BackupEvery               time.Duration
	// BackupHost is the host whose romad takes scheduled backups.
	BackupHost string
}

// Full is a master near or at its maxmemory that makes no room by
// evicting.
type Full struct {
	// Since is when it was first seen so.
	Since time.Time
	// Detail says what it uses, of what limit, under which policy, and
	// what to do.
	Detail string
}

// QuorumObservation is what one romad sees of the status nodes: every
// romad observes it, alpha or not, since without a majority of them no
// romad is alpha, and the alpha's alerts stop.
type QuorumObservation struct {
	// Time is when it was seen; zero means now.
	Time time.Time
	// Romad is the host of the romad that sees it.
	Romad string
	// LostSince is when the romad last read a majority of the status
	// nodes, when it reads none now; zero while it reads one.
	LostSince time.Time
	// Answering and Total count the status nodes: those that answer the
	// romad, and all of them.
	Answering, Total int
	// Down names the status nodes that do not answer.
	Down []string
}

// Config sets up a Tracker.
type Config struct {
	Cluster      string
	Destinations []Destination
	// Quiet is how long a condition (HALT, a node down) must stay clear
	// before its incident is over; until then its return is the same
	// incident and alerts no one again. So one destination gets at most
	// one opening alert per condition per Quiet, however the cluster
	// flaps. 0 means DefaultQuiet.
	Quiet time.Duration
	// NoResolved turns off the "resolved" alert sent when an incident is
	// over.
	NoResolved bool
	// Retry bounds the tries at delivering one alert to one destination.
	Retry Retry
	// Report, when set, is told the outcome of every try (see Result);
	// romad logs failures and counts them. Calls are serialized.
	Report func(Result)
}

// Delivery is one alert due to one destination (by Destination.Name).
type Delivery struct {
	Destination string
	Alert       Alert
}

// Tracker turns a stream of observations into alerts, one per incident,
// and delivers them to every destination:
//
//   - HALT: when the state becomes HALT, every destination is told once;
//     not again until the state has left HALT for Quiet.
//   - node down: when a node has been down longer than a destination's
//     DownFor, that destination is told once; not again until the node
//     has been up for Quiet.
//   - memory full: when a master that evicts nothing has used nearly
//     all of its maxmemory for longer than a destination's DownFor, that
//     destination is told once; not again until it has been clear for
//     Quiet.
//   - backup overdue: when no scheduled backup has begun for twice the
//     backup block's every, every destination is told once; not again
//     until backups have run for Quiet.
//   - status quorum lost (ObserveQuorum): when a romad has not read a
//     majority of the status nodes for longer than a destination's
//     DownFor, that destination is told once; not again until a majority
//     has answered for Quiet.
//   - resolved: when an incident is over (its condition clear for Quiet),
//     each destination told of it gets a "resolved" alert with the same
//     Incident, unless NoResolved.
//
// Observe and Notify decide and queue; Run delivers, with bounded retries.
// A Tracker is safe for concurrent use.
type Tracker struct {
	cfg    Config
	queues []chan Alert

	mu         sync.Mutex
	incidents  map[string]*incident // by key: "halt", "node_down/<node>", "memory_full/<node>", "backup_overdue", "status_quorum_lost"
	lastNotify map[string]time.Time // by alert kind, for Notify
	reportMu   sync.Mutex
}

// incident is one condition from when it first alerted until it has
// stayed clear for Quiet.
type incident struct {
	id      string
	kind    string // KindHalt, KindNodeDown, KindMemoryFull, KindBackupOverdue or KindNoQuorum
	node    string
	opened  time.Time
	cleared time.Time // when the condition last cleared; zero while it holds
	told    []bool    // by destination: got the opening alert
}

// NewTracker returns a Tracker for cfg. Its alerts wait in a bounded
// queue per destination until Run delivers them.
func NewTracker(cfg Config) *Tracker {
	if cfg.Quiet <= 0 {
		cfg.Quiet = DefaultQuiet
	}
	cfg.Retry = cfg.Retry.withDefaults()
	t := &Tracker{
		cfg:        cfg,
		incidents:  map[string]*incident{},
		lastNotify: map[string]time.Time{},
	}
	for range cfg.Destinations {
		t.queues = append(t.queues, make(chan Alert, cfg.Retry.Queue))
	}
	return t
}

// due is an alert decided for the destination at index dest.
type due struct {
	dest  int
	alert Alert
}

// Observe takes what romad saw, queues the alerts it calls for and
// returns them. It never blocks on delivery.
func (t *Tracker) Observe(o Observation) []Delivery {
	if o.Time.IsZero() {
		o.Time = time.Now()
	}
	t.mu.Lock()
	var out []due
	t.observeHalt(o, &out)
	t.observeNodes(o, &out)
	t.observeFull(o, &out)
	t.observeSingle(KindBackupOverdue, o.BackupOverdue, o.Time, &out, func(inc *incident, _ Destination) Alert {
		return backupOverdueAlert(t.cfg, inc, o)
	})
	t.closeQuiet(o, &out)
	t.mu.Unlock()
	return t.enqueue(out)
}

// ObserveQuorum takes what a romad sees of the status nodes, queues the
// alerts it calls for and returns them. It never blocks on delivery.
func (t *Tracker) ObserveQuorum(q QuorumObservation) []Delivery {
	if q.Time.IsZero() {
		q.Time = time.Now()
	}
	t.mu.Lock()
	var out []due
	t.observeSingle(KindNoQuorum, q.LostSince, q.Time, &out, func(inc *incident, d Destination) Alert {
		return noQuorumAlert(t.cfg, inc, q, d.DownFor)
	})
	t.closeQuiet(Observation{Time: q.Time}, &out)
	t.mu.Unlock()
	return t.enqueue(out)
}

// observeSingle opens the incident of kind, a condition of the whole
// cluster, for each destination once it has held since since for longer
// than the destination's DownFor; a zero since means it does not hold,
// and marks the incident cleared.
func (t *Tracker) observeSingle(kind string, since, now time.Time, out *[]due, text func(*incident, Destination) Alert) {
	inc := t.incidents[kind]
	if since.IsZero() {
		if inc != nil && inc.cleared.IsZero() {
			inc.cleared = now
		}
		return
	}
	if inc != nil {
		inc.cleared = time.Time{}
	}
	for i, d := range t.cfg.Destinations {
		if now.Sub(since) < d.DownFor || (inc != nil && inc.told[i]) {
			continue
		}
		if inc == nil {
			inc = t.open(kind, "", now)
		}
		inc.told[i] = true
		*out = append(*out, due{i, text(inc, d)})
	}
}

func (t *Tracker) observeHalt(o Observation, out *[]due) {
	inc := t.incidents[KindHalt]
	if o.State != StateHalt {
		if inc != nil && inc.cleared.IsZero() {
			inc.cleared = o.Time
		}
		return
	}
	if inc == nil {
		inc = t.open(KindHalt, "", o.Time)
	}
	inc.cleared = time.Time{}
	for i := range t.cfg.Destinations {
		if !inc.told[i] {
			inc.told[i] = true
			*out = append(*out, due{i, haltAlert(t.cfg, inc, o)})
		}
	}
}

func (t *Tracker) observeNodes(o Observation, out *[]due) {
	t.observePerNode(KindNodeDown, o.Down, o, out, func(inc *incident, d Destination) Alert {
		return nodeDownAlert(t.cfg, inc, o, o.Down[inc.node], d.DownFor)
	})
}

func (t *Tracker) observeFull(o Observation, out *[]due) {
	since := make(map[string]time.Time, len(o.Full))
	for n, f := range o.Full {
		since[n] = f.Since
	}
	t.observePerNode(KindMemoryFull, since, o, out, func(inc *incident, d Destination) Alert {
		return memoryFullAlert(t.cfg, inc, o, o.Full[inc.node], d.DownFor)
	})
}

// observePerNode opens an incident of kind for each node whose condition
// has held since since[node] for longer than a destination's DownFor, and
// marks cleared the incidents of kind whose node is no longer in since.
func (t *Tracker) observePerNode(kind string, since map[string]time.Time, o Observation, out *[]due, text func(*incident, Destination) Alert) {
	for _, node := range sortedKeys(since) {
		inc := t.incidents[kind+"/"+node]
		if inc != nil {
			inc.cleared = time.Time{}
		}
		for i, d := range t.cfg.Destinations {
			if o.Time.Sub(since[node]) < d.DownFor || (inc != nil && inc.told[i]) {
				continue
			}
			if inc == nil {
				inc = t.open(kind, node, o.Time)
			}
			inc.told[i] = true
			*out = append(*out, due{i, text(inc, d)})
		}
	}
	for _, inc := range t.incidents {
		if _, held := since[inc.node]; inc.kind == kind && !held && inc.cleared.IsZero() {
			inc.cleared = o.Time
		}
	}
}

// closeQuiet ends the incidents whose condition has stayed clear for
// Quiet, telling each destination that was told of them.
func (t *Tracker) closeQuiet(o Observation, out *[]due) {
	for _, key := range sortedKeys(t.incidents) {
		inc := t.incidents[key]
		if inc.cleared.IsZero() || o.Time.Sub(inc.cleared) < t.cfg.Quiet {
			continue
		}
		delete(t.incidents, key)
		if t.cfg.NoResolved {
			continue
		}
		for i, told := range inc.told {
			if told {
				*out = append(*out, due{i, resolvedAlert(t.cfg, inc, o)})
			}
		}
	}
}

func (t *Tracker) open(kind, node string, now time.Time) *incident {
	key := kind
	if node != "" {
		key = kind + "/" + node
	}
	inc := &incident{
		id:     incidentID(t.cfg.Cluster, key, now),
		kind:   kind,
		node:   node,
		opened: now,
		told:   make([]bool, len(t.cfg.Destinations)),
	}
	t.incidents[key] = inc
	return inc
}

// Notify queues a one-off alert, such as KindBackupFailed, to every
// destination, and returns the deliveries. Cluster, Time (now) and
// Incident are filled in when empty. An alert of the same Kind less than
// Quiet after the last one is dropped: Notify returns nil.
func (t *Tracker) Notify(a Alert) []Delivery {
	if a.Cluster == "" {
		a.Cluster = t.cfg.Cluster
	}
	if a.Time.IsZero() {
		a.Time = time.Now()
	}
	if a.Incident == "" {
		a.Incident = incidentID(a.Cluster, a.Kind, a.Time)
	}
	t.mu.Lock()
	last, seen := t.lastNotify[a.Kind]
	if seen && a.Time.Sub(last) < t.cfg.Quiet {
		t.mu.Unlock()
		return nil
	}
	t.lastNotify[a.Kind] = a.Time
	t.mu.Unlock()
	out := make([]due, len(t.cfg.Destinations))
	for i := range out {
		out[i] = due{i, a}
	}
	return t.enqueue(out)
}

// incidentID names an incident by cluster, condition and opening time:
// "shop/halt/20260102T150405Z", "shop/node_down/db1-7000/20260102T150405Z".
func incidentID(cluster, key string, opened time.Time) string {
	return strings.Join([]string{cluster, key, opened.UTC().Format("20060102T150405Z")}, "/")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
