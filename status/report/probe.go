package report

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
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
	Offset    int64
	Uptime    time.Duration // -1 when INFO did not say
	Memory    int64
	MaxMemory int64
	Keys      map[int]int64 // per database
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
			c := newClient(spec.Addr(s.Host, s.Port), spec.Password.Reveal(), timeout)
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
			p := probeNode(ctx, spec.Addr(n.Host, n.Port), spec.Password.Reveal(), timeout)
			mu.Lock()
			in.Probes[n.Name] = p
			mu.Unlock()
		})
	}
	wg.Wait()
	in.Now = time.Now()
	return Build(in)
}

func newClient(addr, password string, timeout time.Duration) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr:                  addr,
		Password:              password,
		Protocol:              2,
		DisableIdentity:       true,
		DialTimeout:           timeout,
		ReadTimeout:           timeout,
		WriteTimeout:          timeout,
		MaxRetries:            -1,
		PoolSize:              1,
		DialerRetries:         1,
		ContextTimeoutEnabled: true,
	})
}

// probeNode asks one data node for PING and INFO in one round trip.
func probeNode(ctx context.Context, addr, password string, timeout time.Duration) Probe {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := newClient(addr, password, timeout)
	defer c.Close()
	pipe := c.Pipeline()
	ping := pipe.Ping(ctx)
	info := pipe.Info(ctx)
	_, _ = pipe.Exec(ctx)
	if err := info.Err(); err != nil {
		return Probe{Err: cluster.NewSecret(password).Redact(err.Error())}
	}
	p := ParseInfo(info.Val())
	if err := ping.Err(); err != nil {
		if !strings.HasPrefix(err.Error(), "LOADING") {
			return Probe{Err: cluster.NewSecret(password).Redact(err.Error())}
		}
		p.Loading = true
	}
	return p
}

// ParseInfo reads the fields of an INFO reply that a probe needs.
func ParseInfo(info string) Probe {
	p := Probe{Keys: map[int]int64{}, Uptime: -1}
	var host, port string
	for line := range strings.Lines(info) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		switch k {
		case "role":
			p.Role = v
			if v == "slave" {
				p.Role = "replica"
			}
		case "master_host":
			host = v
		case "master_port":
			port = v
		case "master_link_status":
			p.Link = v
		case "master_repl_offset":
			if p.Role == "master" {
				p.Offset = atoi(v)
			}
		case "slave_repl_offset":
			p.Offset = atoi(v)
		case "uptime_in_seconds":
			p.Uptime = time.Duration(atoi(v)) * time.Second
		case "used_memory":
			p.Memory = atoi(v)
		case "maxmemory":
			p.MaxMemory = atoi(v)
		case "loading":
			p.Loading = v == "1"
		default:
			if db, ok := strings.CutPrefix(k, "db"); ok {
				if i, err := strconv.Atoi(db); err == nil {
					p.Keys[i] = keysOf(v)
				}
			}
		}
	}
	if host != "" {
		p.MasterAddr = host + ":" + port
	}
	return p
}

// keysOf reads "keys=N,expires=M,..." from a keyspace line.
func keysOf(v string) int64 {
	for f := range strings.SplitSeq(v, ",") {
		if n, ok := strings.CutPrefix(f, "keys="); ok {
			return atoi(n)
		}
	}
	return 0
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
