package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/providers/hash"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/status"
)

// watcher keeps the client's view of the cluster current: it reads the
// status from a majority of the status nodes, subscribes to the channel
// where changes are published, polls as a fallback, and rereads at once
// when a command meets a failover.
type watcher struct {
	opt     *Options
	clients map[string]*redis.Client // status nodes, by address
	nodes   *nodeSet
	cur     atomic.Pointer[view]

	mu      sync.Mutex
	changed chan struct{} // closed, and replaced, when a view is installed

	refreshMu sync.Mutex
	hashes    map[string]hash.Func // under refreshMu

	kick   chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup
	subs   []*redis.PubSub
}

func newWatcher(o *Options, nodes *nodeSet) *watcher {
	w := &watcher{opt: o, clients: map[string]*redis.Client{}, nodes: nodes,
		changed: make(chan struct{}), hashes: map[string]hash.Func{}, kick: make(chan struct{}, 1)}
	for _, a := range o.StatusAddrs {
		ro := redisconn.Options(a, o.Password.Reveal(), o.StatusTimeout, 2)
		ro.DialTimeout, ro.ContextTimeoutEnabled = o.DialTimeout, false
		w.clients[a] = redisconn.NewClient(redisconn.WithPrevious(ro, o.Password.Previous().Reveal()))
	}
	return w
}

// start subscribes and starts the refresh loop. Each status node is
// subscribed to by a goroutine of its own: subscribing dials and logs in,
// and a status node that hangs must hold up neither New nor the others.
func (w *watcher) start() {
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	for _, c := range w.clients {
		ps := c.Subscribe(ctx) // no channel yet: nothing dialed
		w.subs = append(w.subs, ps)
		go func() {
			// On an error go-redis subscribes again when it reconnects.
			_ = ps.Subscribe(ctx, status.Channel(w.opt.Cluster))
			if ctx.Err() != nil {
				return
			}
			// A message is a new status. A subscription confirmed (at
			// first, and again after go-redis reconnects) reads the
			// status too: whatever was published before it took effect
			// never comes as a message.
			for range ps.ChannelWithSubscriptions() {
				w.refreshSoon()
			}
		}()
	}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		t := time.NewTicker(w.opt.PollInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-w.kick:
			case <-t.C:
			}
			w.refresh(ctx)
		}
	}()
}

// close stops the refresh loop and closes the status nodes' clients. The
// subscriptions close on their own goroutines: one still logging in to a
// hung status node ends within StatusTimeout, and holds up nothing.
func (w *watcher) close() {
	if w.cancel != nil {
		w.cancel()
	}
	for _, ps := range w.subs {
		go ps.Close()
	}
	w.wg.Wait()
	for _, c := range w.clients {
		c.Close()
	}
}

// view returns the current view.
func (w *watcher) view() *view { return w.cur.Load() }

// refreshSoon asks the refresh loop to read the status now.
func (w *watcher) refreshSoon() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// refresh reads the status from the status nodes and installs the view it
// gives. A status older than the current one is ignored (epochs only
// grow) unless every status node answered with an older one.
func (w *watcher) refresh(ctx context.Context) {
	w.refreshMu.Lock()
	defer w.refreshMu.Unlock()
	rctx, cancel := context.WithTimeout(ctx, w.opt.StatusTimeout)
	r := status.ReadQuorum(rctx, w.clients, w.opt.Cluster)
	cancel()
	if ctx.Err() != nil {
		return
	}
	old := w.cur.Load()
	switch {
	case !r.Majority:
		nv := &view{err: noMajority(w.opt.Cluster, r), next: new(atomic.Uint64)}
		if old != nil {
			nv.status, nv.epoch, nv.hash, nv.parts = old.status, old.epoch, old.hash, old.parts
		}
		w.install(nv)
	case old != nil && old.status != nil && r.Status.Epoch < old.epoch && r.Answered == r.Total:
		// Every status node answered, and none holds the epoch this
		// client saw: they all lost their data (replaced disks, a
		// restore of old dumps), and romad began again below it.
		// Follow it, or this client would ignore every status until
		// the epoch passed the old one, failovers included.
		w.install(buildView(r.Status, w.opt, w.nodes, w.hashFor))
	case old != nil && old.status != nil && r.Status.Epoch < old.epoch:
		if old.err != nil {
			// The status nodes answer again, but hold an older epoch than
			// this client saw (a status node was reset): keep routing by
			// the newest status known.
			w.install(buildView(old.status, w.opt, w.nodes, w.hashFor))
		}
	default:
		cut := w.deposedMasters(old, r.Status)
		w.install(buildView(r.Status, w.opt, w.nodes, w.hashFor))
		// Once the new view is in: the commands the cut ends run again
		// on it, with new connections to the nodes cut.
		for _, n := range cut {
			n.client.Close()
		}
	}
}

func (w *watcher) hashFor(spec string) (hash.Func, error) {
	if h, ok := w.hashes[spec]; ok {
		return h, nil
	}
	h, err := hash.New(spec)
	if err != nil {
		return nil, err
	}
	w.hashes[spec] = h
	return h, nil
}

func (w *watcher) install(v *view) {
	w.cur.Store(v)
	w.mu.Lock()
	close(w.changed)
	w.changed = make(chan struct{})
	w.mu.Unlock()
}

// waitMajority waits, at most d, while the view is HALT for want of a
// majority of status nodes (one restarting), rereading the status
// meanwhile, and returns the view then current.
func (w *watcher) waitMajority(ctx context.Context, d time.Duration) *view {
	w.await(ctx, d, func(v *view) bool { return !errors.Is(v.err, ErrNoMajority) })
	return w.cur.Load()
}

// await waits, at most d, until ok holds of the current view, asking for
// a new reading of the status every 100ms meanwhile. It returns "" once
// ok holds, else why it stopped: "within d", or that ctx ended first.
func (w *watcher) await(ctx context.Context, d time.Duration, ok func(*view) bool) string {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		w.mu.Lock()
		ch := w.changed
		w.mu.Unlock()
		if ok(w.cur.Load()) {
			return ""
		}
		w.refreshSoon()
		why := ""
		select {
		case <-ch:
		case <-tick.C:
		case <-deadline.C:
			why = fmt.Sprintf("within %s", d)
		case <-ctx.Done():
			why = "before the command was canceled"
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				why = "before the command's deadline"
			}
		}
		if why != "" {
			if ok(w.cur.Load()) {
				return ""
			}
			return why
		}
	}
}
