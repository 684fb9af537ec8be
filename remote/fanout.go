package remote

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// DefaultLimit is how many hosts ForEach works on at once when not told.
const DefaultLimit = 16

// ForEach calls fn for every host, at most limit at a time (DefaultLimit
// when limit <= 0), and waits for all of them. It returns the hosts'
// errors joined (errors.Is sees each), every one naming its host. Hosts not
// yet started when ctx ends fail with ctx's error.
func ForEach(ctx context.Context, hosts []string, limit int, fn func(ctx context.Context, host string) error) error {
	if limit <= 0 {
		limit = DefaultLimit
	}
	errs := make([]error, len(hosts))
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, h := range hosts {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			errs[i] = nameHost(h, ctx.Err())
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = nameHost(h, fn(ctx, h))
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// nameHost prefixes err with host unless it already names it.
func nameHost(host string, err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if strings.HasPrefix(msg, host+": ") || strings.HasPrefix(msg, host+" (") {
		return err
	}
	return fmt.Errorf("%s: %w", host, err)
}

// DialFunc makes the Transport for the named host.
type DialFunc func(ctx context.Context, host string) (Transport, error)

// Pool keeps one Transport per host, made on first use by its DialFunc,
// and closes them all at the end. It is safe for concurrent use.
type Pool struct {
	dial DialFunc

	mu     sync.Mutex
	hosts  map[string]*poolEntry
	closed bool
}

type poolEntry struct {
	ready chan struct{} // closed once t or err is set
	t     Transport
	err   error
}

// NewPool returns a Pool that makes transports with dial.
func NewPool(dial DialFunc) *Pool {
	return &Pool{dial: dial, hosts: map[string]*poolEntry{}}
}

// Get returns host's Transport, making it if needed. Callers asking for
// the same host at once share one dial; a failed dial is forgotten so a
// later Get tries again. Callers must not Close the Transport.
func (p *Pool) Get(ctx context.Context, host string) (Transport, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, wrap(host, "connect", "", errors.New("pool closed"))
	}
	e, ok := p.hosts[host]
	if !ok {
		e = &poolEntry{ready: make(chan struct{})}
		p.hosts[host] = e
	}
	p.mu.Unlock()
	if ok {
		select {
		case <-e.ready:
			return e.t, e.err
		case <-ctx.Done():
			return nil, wrap(host, "connect", "", ctx.Err())
		}
	}
	e.t, e.err = p.dial(ctx, host)
	if e.err != nil {
		p.mu.Lock()
		delete(p.hosts, host)
		p.mu.Unlock()
	}
	close(e.ready)
	return e.t, e.err
}

// Close closes every Transport the pool made.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	entries := p.hosts
	p.hosts = map[string]*poolEntry{}
	p.mu.Unlock()
	var errs []error
	for _, e := range entries {
		<-e.ready
		if e.t != nil {
			errs = append(errs, e.t.Close())
		}
	}
	return errors.Join(errs...)
}
