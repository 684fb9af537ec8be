package alert

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/roma-redis/roma/cluster"
)

// Kinds of alert message.
const (
	KindHalt         = "halt"          // the cluster entered HALT
	KindNodeDown     = "node_down"     // a node has been down longer than down_for
	KindResolved     = "resolved"      // an incident is over
	KindBackupFailed = "backup_failed" // a scheduled backup failed
	// KindNoQuorum: a romad has not read a majority of the status nodes
	// for longer than down_for: clients treat the cluster as HALT, and no
	// romad can be alpha.
	KindNoQuorum = "status_quorum_lost"
	// KindMemoryFull: a master that evicts nothing has used nearly all of
	// its maxmemory for longer than down_for: it refuses writes (OOM)
	// once full.
	KindMemoryFull = "memory_full"
	// KindBackupOverdue: no scheduled backup has begun for twice the
	// backup block's every (romad on the backup host gone, say).
	KindBackupOverdue = "backup_overdue"
)

// Alert is one message to an operator: what happened to which cluster,
// in words (Subject, Body) and as fields a webhook receiver can match on.
// Every message of one incident, the resolution included, carries the
// same Incident.
type Alert struct {
	Cluster  string    `json:"cluster"`
	Kind     string    `json:"kind"`
	Subject  string    `json:"subject"`
	Body     string    `json:"body"`
	Time     time.Time `json:"time"`
	Incident string    `json:"incident"`
	// Node is the node the alert is about, for node_down and memory_full
	// and their resolution; empty otherwise.
	Node string `json:"node,omitempty"`
	// State is the cluster state (OK, DEGRADED, HALT) when the alert was
	// raised, when known.
	State string `json:"state,omitempty"`
}

// Sender delivers alerts to one destination: an SMTP server and its
// recipients, a webhook URL. Send returns when the destination has
// accepted the alert or has failed to; an error that wraps ErrPermanent
// will fail again if retried. A Sender is safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, a Alert) error
}

// ErrPermanent marks a send error that a retry cannot fix: the server
// refused the sender, the recipients or the credentials, or the
// configuration is wrong. Errors without it (refused connections,
// timeouts, temporary server replies) may succeed on a later try.
var ErrPermanent = errors.New("permanent failure")

// ErrUnknownKind is returned by New for an alert kind no sender is
// registered under.
var ErrUnknownKind = errors.New("unknown alert kind")

// Factory makes the Sender for one alert block of roma.hcl.
type Factory func(cluster.Alert) (Sender, error)

var registry = struct {
	sync.RWMutex
	m map[string]Factory
}{m: map[string]Factory{}}

func init() {
	Register("email", func(a cluster.Alert) (Sender, error) { return NewEmail(a) })
	Register("webhook", func(a cluster.Alert) (Sender, error) { return NewWebhook(a) })
}

// Register makes f the factory for alert blocks of the given kind (the
// label of alert "KIND" in roma.hcl). It panics when kind is empty or
// taken, as that is a programming error; it is meant for init functions.
func Register(kind string, f Factory) {
	if kind == "" || f == nil {
		panic(fmt.Sprintf("alert: bad Register(%q)", kind))
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.m[kind]; dup {
		panic(fmt.Sprintf("alert: Register(%q) twice", kind))
	}
	registry.m[kind] = f
}

// New returns the Sender for an alert block of roma.hcl, made by the
// factory registered under its Kind.
func New(a cluster.Alert) (Sender, error) {
	registry.RLock()
	f, ok := registry.m[a.Kind]
	registry.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w %q; valid kinds are %s", ErrUnknownKind, a.Kind, strings.Join(Kinds(), ", "))
	}
	return f(a)
}

// Kinds returns the registered alert kinds, sorted.
func Kinds() []string {
	registry.RLock()
	defer registry.RUnlock()
	kinds := make([]string, 0, len(registry.m))
	for k := range registry.m {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}

// Describe names an alert block for logs and errors, without secrets:
// "email to ops@example.com via smtp.example.com:587", or
// "webhook https://hooks.example.com/roma/...".
func Describe(a cluster.Alert) string {
	switch a.Kind {
	case "email":
		return fmt.Sprintf("email to %s via %s", strings.Join(a.To, ", "), a.SMTP)
	case "webhook":
		return "webhook " + redactURL(a.URL)
	}
	return a.Kind
}

// Destination is one place alerts go: a Sender, the name logs give it,
// and how long a node must be down before it is told (down_for; 0 tells
// at once).
type Destination struct {
	Name    string
	Sender  Sender
	DownFor time.Duration
}

// Destinations makes a Destination for each alert block of a spec, in
// order. Names are made unique by a "#2", "#3" suffix when two blocks
// describe alike.
func Destinations(alerts []cluster.Alert) ([]Destination, error) {
	var errs []error
	out := make([]Destination, 0, len(alerts))
	seen := map[string]int{}
	for _, a := range alerts {
		s, err := New(a)
		if err != nil {
			errs = append(errs, fmt.Errorf("alert %q: %w", a.Kind, err))
			continue
		}
		name := Describe(a)
		seen[name]++
		if n := seen[name]; n > 1 {
			name = fmt.Sprintf("%s #%d", name, n)
		}
		out = append(out, Destination{Name: name, Sender: s, DownFor: a.DownFor})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// redactErr returns err, or an error with the same text less every
// occurrence of the secrets when err's text holds one. The redacted error
// does not unwrap to err, which would give the secret back.
func redactErr(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	found := false
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			msg = strings.ReplaceAll(msg, s, cluster.Redacted)
			found = true
		}
	}
	if !found {
		return err
	}
	if errors.Is(err, ErrPermanent) {
		return fmt.Errorf("%s (%w)", msg, ErrPermanent)
	}
	return errors.New(msg)
}
