package main

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/roma-redis/roma/bench/benchkit"
)

// CPU time is measured beside wall time: on a machine shared with other
// work, wall time swings with the load while the CPU time each side spends
// per operation barely moves, and it says where a side's time goes (the
// Go client itself, nutcracker, the redis-servers).

// cpuUse is the CPU time (user + system) spent during one phase.
type cpuUse struct {
	client  time.Duration // this process: the Go clients, roma's or go-redis
	proxy   time.Duration // nutcracker
	servers time.Duration // the redis-servers
	allocs  uint64        // heap allocations in this process
	bytes   uint64        // bytes allocated on the heap in this process
}

func (a cpuUse) sub(b cpuUse) cpuUse {
	return cpuUse{a.client - b.client, a.proxy - b.proxy, a.servers - b.servers, a.allocs - b.allocs, a.bytes - b.bytes}
}

func (a cpuUse) total() time.Duration { return a.client + a.proxy + a.servers }

// cpuMeter reads the CPU time of this process and of the processes it
// watches.
type cpuMeter struct {
	proxy   int   // nutcracker's pid, 0 for none
	servers []int // the redis-servers' pids
}

// newCPUMeter watches c's masters (their INFO's process_id: the lab's
// hosts have their own mount namespace, not their own pid namespace) and
// nutcracker's pid, when given.
func newCPUMeter(ctx context.Context, c *benchCluster, proxy int) (*cpuMeter, error) {
	m := &cpuMeter{proxy: proxy}
	for p, r := range c.masters {
		info, err := r.Info(ctx, "server").Result()
		if err != nil {
			return nil, fmt.Errorf("INFO on %s: %w", c.addrs[p], err)
		}
		pid := 0
		for _, l := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(l, "process_id:"); ok {
				pid, _ = strconv.Atoi(v)
			}
		}
		if _, err := benchkit.ProcCPU(pid); pid == 0 || err != nil {
			return nil, fmt.Errorf("the redis-server at %s: no process_id in INFO, or no /proc entry (%v)", c.addrs[p], err)
		}
		m.servers = append(m.servers, pid)
	}
	return m, nil
}

func (m *cpuMeter) read() cpuUse {
	var u cpuUse
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		u.client = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	u.allocs, u.bytes = ms.Mallocs, ms.TotalAlloc
	if m.proxy != 0 {
		u.proxy, _ = benchkit.ProcCPU(m.proxy)
	}
	for _, p := range m.servers {
		d, _ := benchkit.ProcCPU(p)
		u.servers += d
	}
	return u
}
