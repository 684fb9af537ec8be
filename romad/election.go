package romad

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/status"
)

// leaseScript grants the alpha lease on one status node. It grants (and
// sets the stored max epoch, and its owner) when the lease is free or held
// by the same romad, and the requested epoch is higher than every epoch
// granted before; or it renews when the same romad asks again for the
// epoch it holds, also when its lease lapsed on this node alone (the node
// hung, or restarted with its data) and no epoch was granted here since.
// The status stored there counts as granted too: an epoch key lost while
// the status stayed (deleted by hand, or a node restored from an older
// dump) must not grant an epoch whose status writes the node refuses.
// KEYS: alpha, epoch, epoch owner, status. ARGV: romad, epoch, lease in ms.
// Returns {granted (0/1), highest epoch, holder}.
var leaseScript = redis.NewScript(`
local holder = redis.call('GET', KEYS[1])
local max = math.max(tonumber(redis.call('GET', KEYS[2]) or '0'), tonumber(redis.call('HGET', KEYS[4], 'epoch') or '0'))
local e = tonumber(ARGV[2])
local me = ARGV[1] .. '|' .. ARGV[2]
if holder and holder == me then
  redis.call('SET', KEYS[1], me, 'PX', ARGV[3])
  return {1, max, holder}
end
if holder then
  local h = string.match(holder, '^(.*)|%d+$')
  if h ~= ARGV[1] then return {0, max, holder} end
end
if not holder and e == max and redis.call('GET', KEYS[3]) == ARGV[1] then
  redis.call('SET', KEYS[1], me, 'PX', ARGV[3])
  return {1, max, me}
end
if e <= max then return {0, max, holder or ''} end
redis.call('SET', KEYS[2], e)
redis.call('SET', KEYS[3], ARGV[1])
redis.call('SET', KEYS[1], me, 'PX', ARGV[3])
return {1, e, me}
`)

// releaseScript gives the lease up if this romad holds it.
var releaseScript = redis.NewScript(`
local holder = redis.call('GET', KEYS[1])
if holder and string.match(holder, '^(.*)|%d+$') == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0
`)

// lease is this romad's claim on alpha.
type lease struct {
	cluster  string
	self     string
	duration time.Duration
	statuses map[string]*redis.Client // status node address -> client
	log      *slog.Logger             // nil: no log

	claimMu sync.Mutex // one claim at a time: renewals (keep) and bumps
	claims  uint64     // claims made so far; under claimMu

	mu         sync.Mutex
	epoch      int64     // the epoch held, 0 when not alpha
	validUntil time.Time // monotonic: act only before this
	highest    int64     // highest epoch seen on any status node
	holder     string    // a holder the last claim saw, "" when none
	retake     bool      // the alpha's last claim was refused by a free status node
	nextTry    time.Time // after a failed claim, wait (randomly) before the next
	lastWarn   time.Time // of a failed claim, at most one per warnEvery
}

// warnEvery is how often a romad that keeps failing to win the lease says
// so.
const warnEvery = 5 * time.Second

// safety is the share of the lease an alpha may use: it stops acting well
// before its lease could have expired on the status nodes, whatever the
// clock drift between hosts.
const safety = 0.7

// valid reports whether this romad is alpha now, and its epoch.
func (l *lease) valid() (int64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.epoch == 0 || time.Now().After(l.validUntil) {
		return 0, false
	}
	return l.epoch, true
}

// fenced returns ctx bounded by the time this romad may act as alpha of
// epoch: a command the alpha sends to a node under it cannot go out once
// the lease may have lapsed, as when the alpha stalled (a long pause, a
// stopped process, a starved host) and another romad may lead by now.
// The node clients apply a context's deadline to their writes. ok is false
// when this romad is not alpha of epoch.
func (l *lease) fenced(ctx context.Context, epoch int64) (_ context.Context, cancel context.CancelFunc, ok bool) {
	l.mu.Lock()
	e, until := l.epoch, l.validUntil
	l.mu.Unlock()
	if e == 0 || e != epoch || !time.Now().Before(until) {
		return ctx, func() {}, false
	}
	fctx, cancel := context.WithDeadline(ctx, until)
	return fctx, cancel, true
}

// ask runs the lease script for epoch on every status node and returns,
// once the outcome is known (a majority granted it, or can no longer, or
// the one node that would decide it is late: status.Vote),
// how many granted it, the holders seen, and how many refused it though
// no romad holds the lease there (free: the node's epoch, or its owner,
// forbids this one). Every answer, one that comes after the outcome too,
// raises the lease's highest epoch. A status node that hangs does not
// hold it up: its answer, if it comes, is left to its goroutine, which
// patience bounds.
func (l *lease) ask(ctx context.Context, epoch int64) (granted int, holders []string, free int) {
	return l.askFor(ctx, epoch, nil)
}

// lateGrants is what a claim decided, for the answers that come after
// the decision (status.Vote returns once the answers settle the claim,
// and the others come later): when the claim failed, a status node that
// grants it then is given the lease back by the goroutine that got its
// answer, unless a later claim has begun (seq): that claim may have won
// the node since, and the release would take the alpha's lease from it.
// Left held, a late grant refused every other romad for a whole lease
// while this one did not know it held it: with two status nodes, two
// romads left such grants in turn, and none was elected for 30s and more.
type lateGrants struct {
	seq     uint64 // the claim's number (lease.claims)
	mu      sync.Mutex
	decided bool
	giveUp  bool // the claim failed
}

// decide records the claim's outcome; every answer that comes after it
// sees it.
func (g *lateGrants) decide(failed bool) {
	g.mu.Lock()
	g.decided, g.giveUp = true, failed
	g.mu.Unlock()
}

// askFor is ask; with late, an answer that comes once the claim failed
// (late.decide) has its status node give the lease back.
func (l *lease) askFor(ctx context.Context, epoch int64, late *lateGrants) (granted int, holders []string, free int) {
	type answer struct {
		ok     bool
		holder string
	}
	granting := func(a status.Answer[answer]) bool { return a.Err == nil && a.Val.ok }
	as := status.Vote(ctx, l.statuses, l.patience(), func(ctx context.Context, c *redis.Client) (answer, error) {
		v, err := leaseScript.Run(ctx, c, []string{status.AlphaKey(l.cluster), status.EpochKey(l.cluster), status.EpochOwnerKey(l.cluster), status.StatusKey(l.cluster)},
			l.self, epoch, l.duration.Milliseconds()).Slice()
		if late != nil {
			// After the decision, nothing reads this answer: a grant is
			// given back here, after it (the claim's own giveBack covers
			// the answers that came before), while no later claim is
			// made or has been.
			late.mu.Lock()
			giveUp := late.decided && late.giveUp
			late.mu.Unlock()
			if giveUp {
				l.claimMu.Lock()
				if l.claims == late.seq {
					// Its own time: the wait for claimMu took from ctx's.
					rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.patience())
					_ = releaseScript.Run(rctx, c, []string{status.AlphaKey(l.cluster)}, l.self).Err()
					cancel()
				}
				l.claimMu.Unlock()
			}
		}
		if err != nil || len(v) != 3 {
			return answer{}, err
		}
		g, _ := v[0].(int64)
		h, _ := v[1].(int64)
		s, _ := v[2].(string)
		l.noteHighest(h)
		return answer{ok: g == 1, holder: s}, nil
	}, status.SettledBy(len(l.statuses), granting), status.ContestedBy(granting))
	granted = status.Count(as, granting)
	for _, a := range as {
		switch {
		case a.Val.holder != "":
			holders = append(holders, a.Val.holder)
		case a.Err == nil && !a.Val.ok:
			free++
		}
	}
	return granted, holders, free
}

// noteHighest records an epoch a status node reported.
func (l *lease) noteHighest(h int64) {
	l.mu.Lock()
	l.highest = max(l.highest, h)
	l.mu.Unlock()
}

// patience is how long one status node has to answer a lease request.
func (l *lease) patience() time.Duration { return time.Duration(float64(l.duration) * 0.3) }

func (l *lease) majority() int { return status.Majority(len(l.statuses)) }

// keep keeps or seeks the lease every interval until ctx ends. After a
// failed claim it wakes at the random time the next claim is due
// (nextTry), not at the tick after it: rounded to ticks, the random
// waits of romads that split a vote fell in a few slots, and they
// collided again about once in five.
func (l *lease) keep(ctx context.Context, interval time.Duration) {
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		start := time.Now()
		l.tick(ctx)
		wait := interval - time.Since(start)
		l.mu.Lock()
		if until := time.Until(l.nextTry); l.epoch == 0 && until > 0 {
			wait = until
		}
		l.mu.Unlock()
		t.Reset(max(wait, 0))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// tick keeps or seeks the lease, and as alpha takes an epoch above the
// highest any status node reported (aboveHighest). It returns whether
// this romad is alpha.
func (l *lease) tick(ctx context.Context) bool {
	alpha := l.hold(ctx)
	if alpha {
		l.aboveHighest(ctx)
	}
	return alpha
}

// hold keeps or seeks the lease. It returns whether this romad is alpha.
func (l *lease) hold(ctx context.Context) bool {
	l.mu.Lock()
	epoch, highest := l.epoch, l.highest
	renewDue := epoch != 0 && time.Until(l.validUntil) < time.Duration(float64(l.duration)*safety*2/3)
	l.mu.Unlock()
	switch {
	case epoch != 0 && !renewDue:
		_, ok := l.valid()
		return ok
	case epoch != 0:
		return l.claim(ctx, epoch)
	default:
		l.mu.Lock()
		wait := time.Now().Before(l.nextTry)
		l.mu.Unlock()
		if wait {
			return false
		}
		if l.heldElsewhere(ctx) {
			// Another romad is alpha: look again at the next tick, so
			// as to take over as soon as it gives the lease up (roma
			// apply restarting it) or its lease runs out (it died).
			return false
		}
		if l.claim(ctx, highest+1) {
			return true
		}
		// Refused for an epoch too low alone, as a romad that just
		// started is (the refusals tell it the highest, and no romad
		// holds the lease anywhere): ask again at once, above it. When
		// another romad holds or was granted some status node, the
		// random wait comes first: romads that retried at once after a
		// split claimed in step, split again, and never stopped.
		l.mu.Lock()
		h, free := l.highest, l.holder == ""
		l.mu.Unlock()
		if h > highest && free && l.claim(ctx, h+1) {
			return true
		}
		l.mu.Lock()
		l.nextTry = time.Now().Add(time.Duration(rand.Int64N(int64(l.duration / 2))))
		l.mu.Unlock()
		return false
	}
}

// aboveHighest, for the alpha, takes an epoch above the highest any
// status node reported when that is above the one held. It happens when a
// majority of the status nodes lost their data (a disk replaced) while
// another kept a higher epoch, and no romad remembered it: the status that
// node keeps would never be replaced (a status write needs a higher
// epoch), and clients, which follow only growing epochs, would not follow
// this alpha. The node's refusal may come after the lease was won: the
// next tick sees it. The lease is held either way: a failed bump is tried
// again on the next tick.
//
// It also takes a new epoch when a status node that no romad holds
// refused the alpha's last claim (retake): a rival won it with the same
// epoch when the two claimed at once, then gave it back (giveBack). That
// node grants the alpha's epoch to no one, so the alpha held a bare
// majority, and lost its lease, and failover, when any other status node
// hung or died. The new epoch is granted there too.
func (l *lease) aboveHighest(ctx context.Context) {
	l.mu.Lock()
	behind := l.epoch != 0 && (l.highest > l.epoch || l.retake)
	l.mu.Unlock()
	if behind {
		_, _ = l.bump(ctx)
	}
}

// heldElsewhere reports whether another romad holds the lease on a
// majority of the status nodes, as far as a quorum of them says. A romad
// seeking the lease asks first: a claim sure to fail would still be
// granted by a status node where the alpha's lease lapsed, raising its
// epoch and keeping the alpha out of it.
func (l *lease) heldElsewhere(ctx context.Context) bool {
	held := func(a status.Answer[bool]) bool { return a.Val }
	as := status.Vote(ctx, l.statuses, l.patience(), func(ctx context.Context, c *redis.Client) (bool, error) {
		h, _ := c.Get(ctx, status.AlphaKey(l.cluster)).Result()
		i := strings.LastIndexByte(h, '|')
		return i >= 0 && h[:i] != l.self, nil // another romad holds it there
	}, status.SettledBy(len(l.statuses), held), status.ContestedBy(held))
	return status.Count(as, held) >= l.majority()
}

// claim asks for epoch (a new one, or a renewal of the one held). When it
// fails and this romad is not alpha, it gives back what the status nodes
// did grant (giveBack).
func (l *lease) claim(ctx context.Context, epoch int64) bool {
	l.claimMu.Lock()
	defer l.claimMu.Unlock()
	start := time.Now()
	l.claims++
	late := &lateGrants{seq: l.claims}
	granted, holders, free := l.askFor(ctx, epoch, late)
	won, alpha := l.settle(start, epoch, granted, holders, free)
	failed := !won && !alpha
	late.decide(failed)
	if failed {
		l.warn(epoch, granted, holders)
		// Every grant that came before the decision, counted or not
		// (Vote may have returned before reading it), is given back
		// here; one that comes after, by askFor.
		l.giveBack(ctx)
	}
	return won
}

// settle records the outcome of a claim of epoch, asked at start, that
// granted nodes granted and free nodes refused without a holder. It
// returns whether the claim is won (or a failed renewal of a lease that
// still runs), and whether this romad is alpha.
func (l *lease) settle(start time.Time, epoch int64, granted int, holders []string, free int) (won, alpha bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.holder = ""
	if len(holders) > 0 {
		l.holder = holders[0]
	}
	l.retake = free > 0
	if granted >= l.majority() {
		l.epoch = epoch
		l.validUntil = start.Add(time.Duration(float64(l.duration) * safety))
		return true, true
	}
	if l.epoch != 0 && time.Now().After(l.validUntil) {
		l.epoch = 0 // lost it
	}
	if l.epoch == epoch && time.Now().Before(l.validUntil) {
		return true, true // a renewal failed, but the lease still runs
	}
	return false, l.epoch != 0
}

// warn logs a claim of epoch that failed, at most once per warnEvery:
// without an alpha, nothing fails over.
func (l *lease) warn(epoch int64, granted int, holders []string) {
	l.mu.Lock()
	due := time.Since(l.lastWarn) >= warnEvery
	if due {
		l.lastWarn = time.Now()
	}
	l.mu.Unlock()
	if due && l.log != nil {
		l.log.Warn("not alpha: a claim of the lease was not granted by a majority of status nodes", "epoch", epoch,
			"granted", granted, "status_nodes", len(l.statuses), "holders", strings.Join(holders, ", "))
	}
}

// giveBack deletes the lease this romad holds on any status node: on a
// clean shutdown (release), and after a failed claim. Kept, those grants would split the
// status nodes for good: two romads that each won some of them re-claim
// the ones they hold (a holder may claim a higher epoch) before their
// lease there runs out, and neither ever wins a majority. Given back,
// the next claim, after a random wait, finds them free. A status node
// that hangs is not waited for (status.Vote): its release, if it comes,
// is left to its goroutine.
func (l *lease) giveBack(ctx context.Context) {
	status.Vote(ctx, l.statuses, l.patience(), func(ctx context.Context, c *redis.Client) (struct{}, error) {
		return struct{}{}, releaseScript.Run(ctx, c, []string{status.AlphaKey(l.cluster)}, l.self).Err()
	}, func(as []status.Answer[struct{}]) bool { return len(as) == len(l.statuses) }, nil)
}

// bump takes a new, higher epoch while alpha (for a failover). It fails
// when a majority does not grant it.
func (l *lease) bump(ctx context.Context) (int64, error) {
	l.mu.Lock()
	next := max(l.epoch, l.highest) + 1
	l.mu.Unlock()
	if !l.claim(ctx, next) {
		return 0, fmt.Errorf("a majority of status nodes did not grant epoch %d", next)
	}
	e, ok := l.valid()
	if !ok || e != next {
		return 0, fmt.Errorf("epoch %d not held", next)
	}
	return e, nil
}

// release gives the lease up (on a clean shutdown).
func (l *lease) release(ctx context.Context) {
	l.mu.Lock()
	l.epoch = 0
	l.mu.Unlock()
	l.giveBack(ctx)
}
