package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/roma-redis/roma/bench/benchkit"
	"github.com/roma-redis/roma/redisconf"
)

// cpuSplit is where the CPU of one plan went, all on this machine: roma
// itself; each lab host's sshd with everything it started (the session's
// sshd processes, the login shell, the host script and its tar); the
// cluster's redis-servers; and the machine as a whole (the rest is the
// kernel's network work outside those processes, and whatever else ran).
type cpuSplit struct {
	roma, hosts, redis, machine time.Duration
}

// splitCPU runs the plan of c runs times and returns the medians of where
// its CPU went. The host side is read from each lab sshd's own and reaped
// children's times (/proc/PID/stat, in clock ticks), a moment after the
// plan ends so that sshd has reaped its sessions.
func (b *bench) splitCPU(ctx context.Context, c *clusterRun, cmd *command, runs int) (cpuSplit, error) {
	servers, err := redisPids(c)
	if err != nil {
		return cpuSplit{}, err
	}
	read := func() (hosts, redis time.Duration) {
		for _, h := range c.lab.Hosts {
			hosts += treeCPU(h.Pid())
		}
		for _, p := range servers {
			d, _ := benchkit.ProcCPU(p)
			redis += d
		}
		return hosts, redis
	}
	var all []cpuSplit
	for range runs {
		h0, r0 := read()
		_, u, err := b.once(ctx, cmd)
		if err != nil {
			return cpuSplit{}, err
		}
		time.Sleep(50 * time.Millisecond) // sshd reaps its sessions
		h1, r1 := read()
		all = append(all, cpuSplit{roma: u.cmd, hosts: h1 - h0, redis: r1 - r0, machine: u.machine})
	}
	med := func(f func(cpuSplit) time.Duration) time.Duration {
		var d []time.Duration
		for _, s := range all {
			d = append(d, f(s))
		}
		slices.Sort(d)
		return d[len(d)/2]
	}
	return cpuSplit{
		roma:    med(func(s cpuSplit) time.Duration { return s.roma }),
		hosts:   med(func(s cpuSplit) time.Duration { return s.hosts }),
		redis:   med(func(s cpuSplit) time.Duration { return s.redis }),
		machine: med(func(s cpuSplit) time.Duration { return s.machine }),
	}, nil
}

// treeCPU is the CPU time of process pid and of its children it has
// reaped: utime, stime, cutime and cstime of /proc/PID/stat.
func treeCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses and may
	// hold spaces: state is field 3, utime 14 ... cstime 17.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return 0
	}
	var ticks int64
	for _, k := range f[11:15] {
		n, _ := strconv.ParseInt(k, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// redisPids finds the redis-servers of c's nodes: the processes named
// redis-server whose title holds a node's address (the lab's hosts have
// their own mount namespaces, not their own pid namespaces).
func redisPids(c *clusterRun) ([]int, error) {
	want := map[string]bool{}
	for _, n := range c.spec.Status {
		t := redisconf.StatusTarget(c.spec, n)
		want[net.JoinHostPort(t.Host.Address, strconv.Itoa(t.Port))] = true
	}
	for _, n := range c.spec.Nodes {
		t := redisconf.DataTarget(c.spec, n)
		want[net.JoinHostPort(t.Host.Address, strconv.Itoa(t.Port))] = true
	}
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, d := range dirs {
		comm, err := os.ReadFile(d + "/comm")
		if err != nil || strings.TrimSpace(string(comm)) != "redis-server" {
			continue
		}
		title, err := os.ReadFile(d + "/cmdline")
		if err != nil {
			continue
		}
		f := strings.Fields(strings.ReplaceAll(string(title), "\x00", " "))
		if len(f) > 1 && want[f[1]] {
			pid, _ := strconv.Atoi(filepath.Base(d))
			pids = append(pids, pid)
		}
	}
	if len(pids) != len(want) {
		return nil, fmt.Errorf("found %d redis-servers of cluster %s, want %d", len(pids), c.name, len(want))
	}
	return pids, nil
}

// printSplit says where the large plan's CPU went, against the floor
// that SSH alone sets.
func printSplit(s cpuSplit, nodes, smallNodes int, sshAlone, small float64) {
	rest := s.machine - s.roma - s.hosts - s.redis
	fmt.Printf("   where the %d-node plan's CPU goes (medians): the hosts' sshd, login shells and host scripts %s (SSH alone: %s), "+
		"the redis-servers %s, roma %s, the rest (kernel, other processes) %s; all: %s,\n"+
		"        at least %s on %d CPUs = %.2f× the %d-node plan's time\n",
		nodes, fmtDur(s.hosts), benchkit.FmtSec(sshAlone), fmtDur(s.redis), fmtDur(s.roma), fmtDur(max(rest, 0)), fmtDur(s.machine),
		benchkit.FmtSec(s.machine.Seconds()/float64(runtime.NumCPU())), runtime.NumCPU(), s.machine.Seconds()/float64(runtime.NumCPU())/small, smallNodes)
}
