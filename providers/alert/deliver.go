package alert

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrQueueFull is the error of a Result for an alert dropped because its
// destination's queue was full (the destination has been failing for a
// long while).
var ErrQueueFull = errors.New("alert queue full; alert dropped")

// Retry bounds the delivery of one alert to one destination. Zero fields
// take the defaults.
type Retry struct {
	Attempts   int           // tries in all; default 5
	Backoff    time.Duration // wait before the second try, doubled for each next; default 2s
	MaxBackoff time.Duration // the longest wait between tries; default 1m
	Timeout    time.Duration // bounds one try; default 1m (senders have shorter timeouts of their own)
	Queue      int           // alerts waiting per destination before new ones are dropped; default 64
}

func (r Retry) withDefaults() Retry {
	if r.Attempts <= 0 {
		r.Attempts = 5
	}
	if r.Backoff <= 0 {
		r.Backoff = 2 * time.Second
	}
	if r.MaxBackoff <= 0 {
		r.MaxBackoff = time.Minute
	}
	if r.Timeout <= 0 {
		r.Timeout = time.Minute
	}
	if r.Queue <= 0 {
		r.Queue = 64
	}
	return r
}

// wait is the pause after the given failed try (1 for the first).
func (r Retry) wait(attempt int) time.Duration {
	d := r.Backoff
	for i := 1; i < attempt && d < r.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, r.MaxBackoff)
}

// Result is the outcome of one try at delivering an alert to one
// destination. Err is nil on success. Final says no other try will follow:
// the alert was delivered, failed permanently (ErrPermanent), used up its
// tries, or was dropped (ErrQueueFull).
type Result struct {
	Destination string
	Alert       Alert
	Attempt     int
	Err         error
	Final       bool
}

// Run delivers queued alerts until ctx ends, each destination on its own
// so that a slow one delays no other; one destination's alerts go out in
// the order they were decided. A failed try is retried after a backoff,
// unless it failed permanently, up to Retry.Attempts. Alerts still queued
// or being retried when ctx ends are abandoned. Run returns when ctx ends;
// call it once.
func (t *Tracker) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for i := range t.cfg.Destinations {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case a := <-t.queues[i]:
					t.deliver(ctx, i, a)
				}
			}
		})
	}
	wg.Wait()
}

// deliver tries to send a to destination i until it is sent, fails
// permanently, runs out of tries, or ctx ends.
func (t *Tracker) deliver(ctx context.Context, i int, a Alert) {
	d := t.cfg.Destinations[i]
	r := t.cfg.Retry
	for attempt := 1; ; attempt++ {
		sctx, cancel := context.WithTimeout(ctx, r.Timeout)
		err := d.Sender.Send(sctx, a)
		cancel()
		final := err == nil || errors.Is(err, ErrPermanent) || attempt >= r.Attempts || ctx.Err() != nil
		t.report(Result{Destination: d.Name, Alert: a, Attempt: attempt, Err: err, Final: final})
		if final {
			return
		}
		timer := time.NewTimer(r.wait(attempt))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
	}
}

// enqueue queues each due alert for its destination without blocking,
// reporting the ones a full queue drops, and returns the queued ones.
func (t *Tracker) enqueue(out []due) []Delivery {
	var queued []Delivery
	for _, d := range out {
		name := t.cfg.Destinations[d.dest].Name
		select {
		case t.queues[d.dest] <- d.alert:
			queued = append(queued, Delivery{Destination: name, Alert: d.alert})
		default:
			t.report(Result{Destination: name, Alert: d.alert, Err: ErrQueueFull, Final: true})
		}
	}
	return queued
}

func (t *Tracker) report(r Result) {
	if t.cfg.Report == nil {
		return
	}
	t.reportMu.Lock()
	defer t.reportMu.Unlock()
	t.cfg.Report(r)
}
