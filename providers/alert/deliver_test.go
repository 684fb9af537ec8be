package alert

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// scriptSender fails with the errors in its script, in turn, then
// succeeds; it records the subjects of the alerts it was asked to send.
type scriptSender struct {
	mu     sync.Mutex
	script []error
	tries  []string
}

func (s *scriptSender) Send(_ context.Context, a Alert) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tries = append(s.tries, a.Subject)
	if len(s.script) == 0 {
		return nil
	}
	err := s.script[0]
	s.script = s.script[1:]
	return err
}

// blockingSender never finishes a send before its context ends.
type blockingSender struct{}

func (blockingSender) Send(ctx context.Context, _ Alert) error {
	<-ctx.Done()
	return ctx.Err()
}

// result is a Result as the tests compare it.
type result struct {
	To      string
	Subject string
	Attempt int
	Err     string
	Final   bool
}

// collector gathers Results and says when a number of final ones came.
type collector struct {
	mu   sync.Mutex
	got  []result
	done chan struct{}
	want int // final results awaited
}

func newCollector(finals int) *collector {
	return &collector{done: make(chan struct{}), want: finals}
}

func (c *collector) report(r Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := ""
	if r.Err != nil {
		e = r.Err.Error()
	}
	c.got = append(c.got, result{r.Destination, r.Alert.Subject, r.Attempt, e, r.Final})
	if r.Final {
		if c.want--; c.want == 0 {
			close(c.done)
		}
	}
}

func (c *collector) wait(t *testing.T) []result {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for deliveries")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]result(nil), c.got...)
}

func TestRunRetries(t *testing.T) {
	temporary := errors.New("421 try later")
	permanent := fmt.Errorf("550 no such user (%w)", ErrPermanent)
	tests := map[string]struct {
		script []error
		want   []result
	}{
		"first try": {
			want: []result{{"d", "s", 1, "", true}},
		},
		"retried until sent": {
			script: []error{temporary, temporary},
			want: []result{
				{"d", "s", 1, "421 try later", false},
				{"d", "s", 2, "421 try later", false},
				{"d", "s", 3, "", true},
			},
		},
		"tries are bounded": {
			script: []error{temporary, temporary, temporary, temporary},
			want: []result{
				{"d", "s", 1, "421 try later", false},
				{"d", "s", 2, "421 try later", false},
				{"d", "s", 3, "421 try later", true},
			},
		},
		"permanent errors are not retried": {
			script: []error{permanent},
			want:   []result{{"d", "s", 1, "550 no such user (permanent failure)", true}},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s := &scriptSender{script: tt.script}
			c := newCollector(1)
			tr := NewTracker(Config{
				Cluster:      "shop",
				Destinations: []Destination{{Name: "d", Sender: s}},
				Retry:        Retry{Attempts: 3, Backoff: time.Millisecond},
				Report:       c.report,
			})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go tr.Run(ctx)
			tr.Notify(Alert{Kind: KindBackupFailed, Subject: "s"})
			if diff := cmp.Diff(tt.want, c.wait(t)); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRetryWait(t *testing.T) {
	r := Retry{Backoff: time.Second, MaxBackoff: 5 * time.Second}
	var got []time.Duration
	for attempt := 1; attempt <= 5; attempt++ {
		got = append(got, r.wait(attempt))
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

// TestRunSlowDestination: a destination that hangs delays no other, and
// each destination gets its alerts in order.
func TestRunSlowDestination(t *testing.T) {
	fast := &scriptSender{}
	c := newCollector(2)
	tr := NewTracker(Config{
		Cluster: "shop",
		Destinations: []Destination{
			{Name: "stuck", Sender: blockingSender{}},
			{Name: "fast", Sender: fast},
		},
		Report: c.report,
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go tr.Run(ctx)
	tr.Observe(Observation{Time: at(0), State: StateHalt})
	tr.Notify(Alert{Kind: KindBackupFailed, Subject: "backup", Time: at(1)})
	want := []result{
		{"fast", "[roma shop] HALT: a partition has no master", 1, "", true},
		{"fast", "backup", 1, "", true},
	}
	if diff := cmp.Diff(want, c.wait(t)); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}

// TestRunStops: Run returns soon after its context ends, even with a send
// in flight.
func TestRunStops(t *testing.T) {
	tr := NewTracker(Config{Cluster: "shop", Destinations: []Destination{{Name: "stuck", Sender: blockingSender{}}}})
	tr.Observe(Observation{Time: at(0), State: StateHalt})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { tr.Run(ctx); close(stopped) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

// TestQueueFull: with nothing delivering, a full queue drops new alerts
// and says so; deciding never blocks.
func TestQueueFull(t *testing.T) {
	c := newCollector(1)
	tr := NewTracker(Config{
		Cluster:      "shop",
		Destinations: []Destination{{Name: "d", Sender: nopSender{}}},
		Retry:        Retry{Queue: 1},
		Report:       c.report,
	})
	if n := len(tr.Observe(Observation{Time: at(0), State: StateHalt})); n != 1 {
		t.Fatalf("HALT queued %d alerts, want 1", n)
	}
	if n := len(tr.Notify(Alert{Kind: KindBackupFailed, Subject: "backup", Time: at(1)})); n != 0 {
		t.Errorf("a full queue took %d more alerts", n)
	}
	want := []result{{"d", "backup", 0, ErrQueueFull.Error(), true}}
	if diff := cmp.Diff(want, c.wait(t)); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}

// TestHaltMailArrives is the whole path romad takes: an email alert from a
// roma.hcl block, a Tracker that sees HALT, Run, and a real SMTP server
// (STARTTLS, AUTH) that receives exactly one mail however long the HALT
// lasts.
func TestHaltMailArrives(t *testing.T) {
	cert, roots := testCert(t)
	ms := startMailServer(t, mailServerOptions{
		TLS:   &tls.Config{Certificates: []tls.Certificate{cert}},
		Users: map[string]string{"roma": testPassword},
	})
	e := newTestEmail(t, ms.Addr, "roma")
	e.TLSConfig = &tls.Config{RootCAs: roots}
	c := newCollector(1)
	tr := NewTracker(Config{
		Cluster:      "shop",
		Destinations: []Destination{{Name: "email", Sender: e, DownFor: time.Minute}},
		Report:       c.report,
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go tr.Run(ctx)
	for s := 0; s < 50; s++ {
		tr.Observe(Observation{Time: at(s), State: StateHalt, Down: map[string]time.Time{"db1-7000": at(0)}})
	}
	if diff := cmp.Diff([]result{{"email", "[roma shop] HALT: a partition has no master", 1, "", true}}, c.wait(t)); diff != "" {
		t.Fatalf("results (-want +got):\n%s", diff)
	}
	mails := ms.mails()
	if len(mails) != 1 {
		t.Fatalf("server received %d mails, want 1", len(mails))
	}
	got := readMail(t, mails[0])
	want := gotMail{
		EnvFrom: "roma@example.com", EnvTo: []string{"ops@example.com", "oncall@example.org"}, User: "roma", TLS: true,
		Date: t0, From: `"Roma" <roma@example.com>`, To: "<ops@example.com>, <oncall@example.org>",
		Subject: "[roma shop] HALT: a partition has no master", Kind: KindHalt, Incident: haltID,
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(gotMail{}, "Body")); diff != "" {
		t.Errorf("received mail (-want +got):\n%s", diff)
	}
	if want := "Cluster shop is in HALT since 2026-01-02 15:04:05 UTC"; len(got.Body) < len(want) || got.Body[:len(want)] != want {
		t.Errorf("body starts %q, want %q", got.Body, want)
	}
}
