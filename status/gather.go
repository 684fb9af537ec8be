package status

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// Answer is one status node's answer to Gather.
type Answer[T any] struct {
	Addr string
	Val  T
	Err  error
}

// Gather runs read on every status node at once, each within timeout (0:
// ctx alone bounds it), and returns the answers in the order they came:
// all of them, or, as soon as enough says the answers so far settle the
// matter, those (after waiting up to grace for the others). A read still
// running then goes on to its end, so a slower node still gets a write;
// a status node that hangs holds up nothing that enough can settle
// without it.
func Gather[T any](ctx context.Context, clients map[string]*redis.Client, timeout time.Duration,
	read func(context.Context, *redis.Client) (T, error), enough func([]Answer[T]) bool, grace time.Duration) []Answer[T] {
	armed := false
	return collect(launch(ctx, clients, timeout, read), len(clients), func(out []Answer[T]) (bool, <-chan time.Time) {
		if armed || enough == nil || !enough(out) {
			return false, nil
		}
		armed = true
		if grace <= 0 {
			return true, nil
		}
		return false, time.After(grace)
	})
}

// Vote is Gather for a vote, such as a claim of the alpha lease: it
// returns as soon as settled says the answers so far decide it, or once
// every node but one has answered, in a contest (contested says so; nil:
// always), without deciding it, and the last is late: it had twice as
// long as the others took, and LateAfter more.
//
// A contest is a vote some node refused while another granted it: two
// romads split the status nodes. If the last node hangs, each would wait
// for it, up to timeout, while the grants it holds block the other's
// claim (5s without an alpha, seen in TestElectionChaos). Out of a
// contest, the last node's answer decides and waiting blocks no one: a
// claim that the nodes that answered all granted, or could not answer
// (down), waits for it, however much slower it is (a loaded machine, a
// status node further away), up to timeout.
func Vote[T any](ctx context.Context, clients map[string]*redis.Client, timeout time.Duration,
	read func(context.Context, *redis.Client) (T, error), settled, contested func([]Answer[T]) bool) []Answer[T] {
	start := time.Now()
	armed := false
	return collect(launch(ctx, clients, timeout, read), len(clients), func(out []Answer[T]) (bool, <-chan time.Time) {
		if settled(out) {
			return true, nil
		}
		if armed || len(out) == 0 || len(out) != len(clients)-1 || (contested != nil && !contested(out)) {
			return false, nil
		}
		armed = true
		return false, time.After(2*time.Since(start) + LateAfter)
	})
}

// LateAfter is how long Vote waits, beyond twice the time the others
// took, for the last status node's answer.
const LateAfter = 50 * time.Millisecond

// collect takes n answers from ch as they come; after each, step says
// whether to stop there, or gives a time to stop at (nil: none; only the
// first it gives counts).
func collect[T any](ch <-chan Answer[T], n int, step func([]Answer[T]) (bool, <-chan time.Time)) []Answer[T] {
	var out []Answer[T]
	var until <-chan time.Time
	for range n {
		select {
		case a := <-ch:
			out = append(out, a)
		case <-until:
			return out
		}
		stop, u := step(out)
		if stop {
			return out
		}
		if until == nil {
			until = u
		}
	}
	return out
}

// launch runs read on every client at once, each within timeout (0: ctx
// alone bounds it), and gives the answers as they come.
func launch[T any](ctx context.Context, clients map[string]*redis.Client, timeout time.Duration,
	read func(context.Context, *redis.Client) (T, error)) <-chan Answer[T] {
	ch := make(chan Answer[T], len(clients))
	for addr, c := range clients {
		go func() {
			rctx := ctx
			if timeout > 0 {
				var cancel context.CancelFunc
				rctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			v, err := read(rctx, c)
			ch <- Answer[T]{addr, v, err}
		}()
	}
	return ch
}

// Majority is how many of n status nodes make a majority.
func Majority(n int) int { return n/2 + 1 }

// Count is how many of as yes holds for.
func Count[T any](as []Answer[T], yes func(Answer[T]) bool) int {
	k := 0
	for _, a := range as {
		if yes(a) {
			k++
		}
	}
	return k
}

// SettledBy is an enough for Gather over n status nodes: a majority
// answered yes, or so many answered otherwise that a majority never will.
func SettledBy[T any](n int, yes func(Answer[T]) bool) func([]Answer[T]) bool {
	return func(as []Answer[T]) bool {
		k := Count(as, yes)
		return k >= Majority(n) || len(as)-k > n-Majority(n)
	}
}

// ContestedBy is a contested for Vote: some answer is yes, and some node
// answered (without error) otherwise.
func ContestedBy[T any](yes func(Answer[T]) bool) func([]Answer[T]) bool {
	return func(as []Answer[T]) bool {
		return Count(as, yes) > 0 && Count(as, func(a Answer[T]) bool { return a.Err == nil && !yes(a) }) > 0
	}
}

// Answered is the yes of an answer without error.
func Answered[T any](a Answer[T]) bool { return a.Err == nil }
