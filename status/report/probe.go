package report

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/redisinfo"
	"github.com/roma-redis/roma/status"
)

// DefaultTimeout bounds each status node read and each data node probe.
const DefaultTimeout = 2 * time.Second

// Options tune Gather.
type Options struct {
	Timeout time.Duration // per node; DefaultTimeout when zero
}

// Probe is what one direct look at a data node found.
type Probe struct {
	Err        string // "" when the node answered
	Loading    bool   // it answers but is still loading its data set
	Role       string // master or replica
	MasterAddr string // replicas: master_host:master_port
	Link       string // replicas: up or down
	// Offset is master_repl_offset on a master and slave_repl_offset on a
	// replica: the replication stream position it has reached.
	Offset int64
	Uptime time.Duration    // -1 when INFO did not say
	Mem    redisinfo.Memory // used, maxmemory, policy, keys with an expiry
	Keys   map[int]int64    // per database
}

// Gather reads the status from every status node and probes every data
// node of spec, all in parallel, and builds the report.
func Gather(ctx context.Context, spec *cluster.Spec, o Options) *Report {
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	in := Inputs{Spec: spec, Probes: map[string]Probe{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Go(func() {
		clients := map[string]*redis.Client{}
		for _, s := range spec.Status {
			c := newClient(spec.Addr(s.Host, s.Port), spec.Password, timeout)
			defer c.Close()
			clients[spec.Addr(s.Host, s.Port)] = c
		}
		rctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		r := status.ReadMajority(rctx, clients, spec.Name)
		mu.Lock()
		in.Reading = r
		mu.Unlock()
	})
	for _, n := range spec.Nodes {
		wg.Go(func() {
			p := probeNode(ctx, spec.Addr(n.Host, n.Port), spec.Password, timeout)
			mu.Lock()
			in.Probes[n.Name] = p
			mu.Unlock()
		})
	}
	wg.Wait()
	// Nodes the published status names that roma.hcl does not declare
	// (removed from it, not yet applied) still serve: probe them at their
	// published address.
	for name, n := range undeclared(spec, in.Reading.Status) {
		wg.Go(func() {
			p := probeNode(ctx, n.Addr, spec.Password, timeout)
			mu.Lock()
			in.Probes[name] = p
			mu.Unlock()
		})
	}
	wg.Wait()
	in.Now = time.Now()
	return Build(in)
}

// newClient returns a client of addr with password (or the one it
// replaces, during a rotation).
func newClient(addr string, password cluster.Secret, timeout time.Duration) *redis.Client {
	return redisconn.NewClient(redisconn.WithPrevious(redisconn.Options(addr, password.Reveal(), timeout, 1), password.Previous().Reveal()))
}

// probeNode asks one data node for PING and INFO in one round trip.
func probeNode(ctx context.Context, addr string, password cluster.Secret, timeout time.Duration) Probe {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// The connection's deadlines come before the context's: a read that
	// timed out tells a node that takes connections and says nothing
	// from one that is not there.
	wait := timeout * 3 / 4
	c := newClient(addr, password, wait)
	defer c.Close()
	pipe := c.Pipeline()
	ping := pipe.Ping(ctx)
	info := pipe.Info(ctx)
	_, _ = pipe.Exec(ctx) // a failed connection fails every command (redisconn)
	if err := info.Err(); err != nil {
		return Probe{Err: downBecause(err, password, wait)}
	}
	p := ParseInfo(info.Val())
	if err := ping.Err(); err != nil {
		if !strings.HasPrefix(err.Error(), "LOADING") {
			return Probe{Err: downBecause(err, password, wait)}
		}
		p.Loading = true
	}
	return p
}

// downBecause says why a probe failed with err: for a node that took the
// connection and answered nothing within wait, that (a redis-server
// paused, or stuck on a disk, where "i/o timeout" read as a network
// fault), else err, redacted of password.
func downBecause(err error, password cluster.Secret, wait time.Duration) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() && redisconn.Connected(err) {
		return fmt.Sprintf("it takes connections but answered nothing within %s (its process paused, or stuck on a disk?)", wait)
	}
	return password.Redact(err.Error())
}

// ParseInfo reads the fields of an INFO reply that a probe needs.
func ParseInfo(reply string) Probe {
	info := redisinfo.Parse(reply)
	p := Probe{Keys: info.Databases(), Uptime: -1, Role: info["role"], Link: info["master_link_status"],
		MasterAddr: info.MasterAddr(), Offset: info.Offset(), Mem: info.Memory(),
		Loading: info["loading"] == "1"}
	if info.Replica() {
		p.Role = "replica"
	}
	if _, ok := info["uptime_in_seconds"]; ok {
		p.Uptime = time.Duration(info.Int("uptime_in_seconds")) * time.Second
	}
	return p
}
