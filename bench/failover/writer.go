package main

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/status"
)

// Every client of the benchmark (writer, locators, checks) uses these
// timeouts, for romad and Sentinel alike.
const (
	opTimeout  = 300 * time.Millisecond
	retryPause = 20 * time.Millisecond
)

// newClient returns a client of a Redis instance (password "" for a
// sentinel) that fails fast: one dial, no retries, short timeouts.
func newClient(addr, password string) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: addr, Password: password, Protocol: 2, DisableIdentity: true,
		MaxRetries: -1, DialerRetries: 1, PoolSize: 2,
		DialTimeout: opTimeout, ReadTimeout: opTimeout, WriteTimeout: opTimeout,
	})
}

// A locator tells a client where the master is, the way that system's
// clients find it: romad's clients read the status from a majority of
// status nodes, Sentinel's ask the sentinels. Both also subscribe to their
// system's change notifications, which make the writer locate again at
// once.
type locator interface {
	locate() (string, error)
	// stale reports (and clears) whether a notification arrived since the
	// last call.
	stale() bool
	close()
}

// romadLocator follows romad's published status.
type romadLocator struct {
	cluster  string
	clients  map[string]*redis.Client
	subs     []*redis.PubSub
	notified atomic.Bool
	wg       sync.WaitGroup
}

func newRomadLocator(cluster string, statusAddrs []string, password string) *romadLocator {
	l := &romadLocator{cluster: cluster, clients: map[string]*redis.Client{}}
	for _, a := range statusAddrs {
		c := newClient(a, password)
		l.clients[a] = c
		ps := c.Subscribe(context.Background(), status.Channel(cluster))
		l.subs = append(l.subs, ps)
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for range ps.Channel() {
				l.notified.Store(true)
			}
		}()
	}
	return l
}

func (l *romadLocator) locate() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*opTimeout)
	defer cancel()
	r := status.ReadMajority(ctx, l.clients, l.cluster)
	if !r.Majority || r.Status == nil {
		return "", errors.New("no status on a majority: " + r.Summary())
	}
	m := r.Status.Master(0)
	if m == "" {
		return "", errors.New("the status names no master (HALT)")
	}
	return r.Status.Nodes[m].Addr, nil
}

func (l *romadLocator) stale() bool { return l.notified.Swap(false) }

func (l *romadLocator) close() {
	for _, ps := range l.subs {
		ps.Close()
	}
	l.wg.Wait()
	for _, c := range l.clients {
		c.Close()
	}
}

// sentinelLocator follows the sentinels as Redis's Sentinel client
// guidelines say: ask the sentinels in turn for the master's address, the
// first one that answers is asked first next time; and on +switch-master
// from any sentinel, go to the address it names.
type sentinelLocator struct {
	name string

	mu        sync.Mutex
	sentinels []*redis.SentinelClient // in the order they are asked
	hint      string                  // the address of the last +switch-master not yet used

	notified atomic.Bool
	subs     []*redis.PubSub
	wg       sync.WaitGroup
}

func newSentinelClient(addr string) *redis.SentinelClient {
	return redis.NewSentinelClient(&redis.Options{
		Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1, DialerRetries: 1, PoolSize: 2,
		DialTimeout: opTimeout, ReadTimeout: opTimeout, WriteTimeout: opTimeout,
	})
}

func newSentinelLocator(name string, sentinelAddrs []string) *sentinelLocator {
	l := &sentinelLocator{name: name}
	for _, a := range sentinelAddrs {
		s := newSentinelClient(a)
		l.sentinels = append(l.sentinels, s)
		ps := s.Subscribe(context.Background(), "+switch-master")
		l.subs = append(l.subs, ps)
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for m := range ps.Channel() {
				// "<name> <old ip> <old port> <new ip> <new port>"
				f := strings.Fields(m.Payload)
				if len(f) == 5 && f[0] == name {
					l.mu.Lock()
					l.hint = f[3] + ":" + f[4]
					l.mu.Unlock()
					l.notified.Store(true)
				}
			}
		}()
	}
	return l
}

func (l *sentinelLocator) locate() (string, error) {
	l.mu.Lock()
	if h := l.hint; h != "" {
		l.hint = ""
		l.mu.Unlock()
		return h, nil
	}
	order := append([]*redis.SentinelClient(nil), l.sentinels...)
	l.mu.Unlock()
	var errs []error
	for i, s := range order {
		ctx, cancel := context.WithTimeout(context.Background(), 2*opTimeout)
		addr, err := s.GetMasterAddrByName(ctx, l.name).Result()
		cancel()
		if err != nil || len(addr) != 2 {
			errs = append(errs, err)
			continue
		}
		if i > 0 { // the one that answered goes first
			l.mu.Lock()
			for j, x := range l.sentinels {
				if x == s {
					l.sentinels = append([]*redis.SentinelClient{s}, append(l.sentinels[:j:j], l.sentinels[j+1:]...)...)
					break
				}
			}
			l.mu.Unlock()
		}
		return addr[0] + ":" + addr[1], nil
	}
	return "", errors.Join(append([]error{errors.New("no sentinel answered")}, errs...)...)
}

func (l *sentinelLocator) stale() bool { return l.notified.Swap(false) }

func (l *sentinelLocator) close() {
	for _, ps := range l.subs {
		ps.Close()
	}
	l.wg.Wait()
	for _, s := range l.sentinels {
		s.Close()
	}
}

// writer writes sequential keys to the master its locator names, one at a
// time, as fast as the master acknowledges them. After a failed write it
// locates the master again and retries after retryPause.
type writer struct {
	loc      locator
	password string
	prefix   string
	stop     chan struct{}
	done     chan struct{}

	acked []int // indices of acknowledged keys; read only after done

	okCount   atomic.Int64
	oldAddr   string       // the killed master; set before killAt
	killAt    atomic.Int64 // unix nanos of the kill, 0 before it
	firstOK   atomic.Int64 // unix nanos of the first write acknowledged by another node after the kill
	firstAddr string       // where that write went; set before firstOK
	lastErr   atomic.Value // string: the last failure, for a failed trial's report
}

func startWriter(loc locator, password, prefix string) *writer {
	w := &writer{loc: loc, password: password, prefix: prefix, stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

func (w *writer) run() {
	defer close(w.done)
	clients := map[string]*redis.Client{}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	addr := ""
	for i := 0; ; {
		select {
		case <-w.stop:
			return
		default:
		}
		if w.loc.stale() || addr == "" {
			a, err := w.loc.locate()
			if err != nil {
				w.lastErr.Store("locating the master: " + err.Error())
			}
			addr = a
		}
		if addr != "" {
			c := clients[addr]
			if c == nil {
				c = newClient(addr, w.password)
				clients[addr] = c
			}
			err := c.Set(context.Background(), w.prefix+strconv.Itoa(i), i, 0).Err()
			if err == nil {
				now := time.Now().UnixNano()
				w.acked = append(w.acked, i)
				w.okCount.Add(1)
				i++
				if w.killAt.Load() != 0 && w.firstOK.Load() == 0 && addr != w.oldAddr {
					w.firstAddr = addr
					w.firstOK.Store(now)
				}
				continue
			}
			w.lastErr.Store("writing to " + addr + ": " + err.Error())
		}
		addr = ""
		select {
		case <-w.stop:
			return
		case <-time.After(retryPause):
		}
	}
}

// killed records that the master at addr is killed now.
func (w *writer) killed(addr string) time.Time {
	w.oldAddr = addr
	now := time.Now()
	w.killAt.Store(now.UnixNano())
	return now
}

func (w *writer) halt() {
	close(w.stop)
	<-w.done
}

func (w *writer) lastError() string {
	s, _ := w.lastErr.Load().(string)
	return s
}
