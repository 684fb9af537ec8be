package romad

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/status"
)

// chaosLease runs one romad's election (lease.keep) that the test can
// pause (its process stopped: it neither renews nor claims) and resume.
type chaosLease struct {
	l      *lease
	cancel context.CancelFunc
	done   chan struct{}
}

func (c *chaosLease) run() {
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel, c.done = cancel, make(chan struct{})
	go func() {
		defer close(c.done)
		c.l.keep(ctx, 200*time.Millisecond)
	}()
}

func (c *chaosLease) pause() {
	c.cancel()
	<-c.done
	c.cancel = nil
}

func (c *chaosLease) paused() bool { return c.cancel == nil }

// jitter delays every command by up to 3ms.
type jitter struct{}

func (jitter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (jitter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
		return next(ctx, cmd)
	}
}
func (jitter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestElectionChaos: three romads' elections on three real status nodes,
// through 20s of random faults: a romad, the alpha often, stops (it
// neither renews nor claims) and comes back, alone or with the others;
// every romad restarts at once, remembering no epoch, after the lease
// lapsed; a status node hangs (SIGSTOP) and comes back, one at a time.
// Every command to a status node is delayed by up to 3ms (jitter), so
// that romads claiming at once reach the nodes in any order. The log says
// how long each restart of every romad went without an alpha.
// Throughout, no two romads are alpha at once (the safety margin and the
// lease script), and every new alpha's epoch is above every epoch before
// (the status writes' fence). Once the faults end, one romad is alpha,
// and every status node comes to hold its lease, so that any one of them
// may fail next. Romads in one process rarely split a vote: the
// elections' ways out of a split have tests of their own (TestSplitVote,
// TestAlphaRetakesRivalsNode).
func TestElectionChaos(t *testing.T) {
	servers, clients := statusNodes(t, 2*time.Second)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d", seed)
	for _, c := range clients {
		c.AddHook(jitter{}) // as a network does: romads claiming in step reach the nodes in any order
	}
	var romads []*chaosLease
	for i := range 3 {
		c := &chaosLease{l: &lease{cluster: "ch", self: fmt.Sprintf("db%d", i+1), duration: 2 * time.Second, statuses: clients}}
		c.run()
		romads = append(romads, c)
	}
	defer func() {
		for _, c := range romads {
			if !c.paused() {
				c.pause()
			}
		}
	}()

	// The watch: every 5ms, who is alpha.
	var mu sync.Mutex
	var violations []string
	alphaAt := map[string]int64{} // romad -> the epoch it was last seen alpha with
	var highest int64
	var sinceAlpha time.Time // when the cluster last had an alpha
	var longestGap time.Duration
	var gapEnd time.Time
	var restarted time.Time       // when every romad restarted, until an alpha
	var elections []time.Duration // from each restart of every romad to an alpha
	changes := 0
	watch := func() {
		// Each romad's term first, then the time: a term read before the
		// watch was descheduled can only have grown since, so two terms
		// that both run past now overlap for certain.
		type term struct {
			epoch int64
			until time.Time
		}
		terms := make([]term, len(romads))
		for i, c := range romads {
			c.l.mu.Lock()
			terms[i] = term{c.l.epoch, c.l.validUntil}
			c.l.mu.Unlock()
		}
		now := time.Now()
		var alphas []string
		for i, c := range romads {
			e := terms[i].epoch
			if e == 0 || !terms[i].until.After(now) {
				continue
			}
			alphas = append(alphas, fmt.Sprintf("%s at epoch %d", c.l.self, e))
			if alphaAt[c.l.self] != e {
				changes++
				if e <= highest {
					violations = append(violations, fmt.Sprintf("%s alpha at epoch %d, not above the highest epoch seen before, %d", c.l.self, e, highest))
				}
				alphaAt[c.l.self] = e
			}
			highest = max(highest, e)
		}
		if len(alphas) > 1 {
			violations = append(violations, fmt.Sprintf("two alphas at once, at %s: %v", now.Format(time.StampMilli), alphas))
		}
		if len(alphas) > 0 && !restarted.IsZero() {
			elections = append(elections, now.Sub(restarted))
			restarted = time.Time{}
		}
		if len(alphas) > 0 {
			if gap := time.Since(sinceAlpha); !sinceAlpha.IsZero() && gap > longestGap {
				longestGap, gapEnd = gap, time.Now()
			}
			sinceAlpha = time.Now()
		}
	}
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			mu.Lock()
			watch()
			mu.Unlock()
		}
	}()

	began := time.Now()
	var log []string
	note := func(what string) { log = append(log, fmt.Sprintf("%.1fs %s", time.Since(began).Seconds(), what)) }
	var resumeNode func()
	hung := -1
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); {
		time.Sleep(time.Duration(300+rng.IntN(1200)) * time.Millisecond)
		switch k := rng.IntN(5); {
		case k == 4: // every romad restarts, as roma apply's rolling of romad may do, after the lease lapsed
			for _, c := range romads {
				if !c.paused() {
					c.pause()
				}
			}
			time.Sleep(2500 * time.Millisecond)
			mu.Lock()
			for _, c := range romads { // new processes: they remember no epoch
				c.l = &lease{cluster: c.l.cluster, self: c.l.self, duration: c.l.duration, statuses: c.l.statuses}
			}
			restarted = time.Now()
			mu.Unlock()
			for _, c := range romads {
				c.run()
			}
			note("all restarted at once")
		case k == 0: // the alpha stops, if there is one
			for _, c := range romads {
				if _, ok := c.l.valid(); ok && !c.paused() {
					c.pause()
					note(c.l.self + " (alpha) stopped")
				}
			}
		case k == 1: // every stopped romad comes back at once: they claim in step
			for _, c := range romads {
				if c.paused() {
					c.run()
					note(c.l.self + " back")
				}
			}
		case k == 2: // a romad stops, or comes back
			c := romads[rng.IntN(len(romads))]
			if c.paused() {
				c.run()
				note(c.l.self + " back")
			} else {
				c.pause()
				note(c.l.self + " stopped")
			}
		case hung >= 0:
			resumeNode()
			note(fmt.Sprintf("status node %d back", hung))
			hung = -1
		default:
			hung = rng.IntN(len(servers))
			resumeNode = servers[hung].Pause(t)
			note(fmt.Sprintf("status node %d hung", hung))
		}
	}
	if hung >= 0 {
		resumeNode()
	}
	for _, c := range romads {
		if c.paused() {
			c.run()
		}
	}
	t.Logf("faults: %v", log)

	// After the faults: an alpha, held on every status node.
	var alpha string
	var epoch int64
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		alpha, epoch = "", 0
		for _, c := range romads {
			if e, ok := c.l.valid(); ok {
				alpha, epoch = c.l.self, e
			}
		}
		var missing []string
		for addr, c := range clients {
			if h, _ := c.Get(context.Background(), status.AlphaKey("ch")).Result(); alpha == "" || h != fmt.Sprintf("%s|%d", alpha, epoch) {
				missing = append(missing, fmt.Sprintf("%s holds %q", addr, h))
			}
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("15s after the faults, no alpha held on every status node: alpha %q (epoch %d); %v", alpha, epoch, missing)
		}
	}
	close(stop)
	<-watched
	mu.Lock()
	defer mu.Unlock()
	for i, v := range violations {
		if i == 10 {
			t.Errorf("... and %d more", len(violations)-i)
			break
		}
		t.Error(v)
	}
	for i := range elections {
		elections[i] = elections[i].Round(time.Millisecond)
	}
	t.Logf("%d alpha terms; the longest time without an alpha %s, until %.1fs; from a restart of every romad to an alpha: %v; alpha at the end %s, epoch %d",
		changes, longestGap.Round(time.Millisecond), gapEnd.Sub(began).Seconds(), elections, alpha, epoch)
}
