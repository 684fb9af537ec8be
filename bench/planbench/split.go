package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/roma-redis/roma/bench/benchkit"
	"github.com/roma-redis/roma/redisconf"
)

// hostMeter reads where a plan's CPU goes on a cluster's lab hosts, beside
// roma itself and the machine as a whole: each host's sshd with everything
// it started (the session's sshd processes, the login shell, the host
// script and its tar), and the cluster's redis-servers. The rest of the
// machine's CPU is the kernel's network work outside those processes, and
// whatever else ran.
type hostMeter struct {
	c       *clusterRun
	servers []int // the redis-servers' pids
}

func newHostMeter(c *clusterRun) (*hostMeter, error) {
	servers, err := redisPids(c)
	if err != nil {
		return nil, err
	}
	return &hostMeter{c: c, servers: servers}, nil
}

// read returns the hosts' CPU so far, from each lab sshd's own and reaped
// children's times (/proc/PID/stat, in clock ticks: read it a moment after
// a plan, once sshd has reaped its sessions), and the redis-servers'.
func (m *hostMeter) read() (hosts, redis time.Duration) {
	for _, h := range m.c.lab.Hosts {
		hosts += treeCPU(h.Pid())
	}
	for _, p := range m.servers {
		d, _ := benchkit.ProcCPU(p)
		redis += d
	}
	return hosts, redis
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

// printSplit says where the large plan's CPU went (the medians of r's
// runs), against the floor that SSH alone sets.
func printSplit(r result, nodes, smallNodes int, sshAlone, small float64) {
	field := func(f func(cpuUse) time.Duration) float64 {
		var d []time.Duration
		for _, u := range r.cpu {
			d = append(d, f(u))
		}
		return medianOf(d)
	}
	roma := field(func(u cpuUse) time.Duration { return u.cmd })
	hosts := field(func(u cpuUse) time.Duration { return u.hosts })
	redis := field(func(u cpuUse) time.Duration { return u.redis })
	machine := field(func(u cpuUse) time.Duration { return u.machine })
	floor := machine / float64(runtime.NumCPU())
	fmt.Printf("   where the %d-node plan's CPU goes (medians): the hosts' sshd, login shells and host scripts %s (SSH alone: %s), "+
		"the redis-servers %s, roma %s, the rest (kernel, other processes) %s; all: %s,\n"+
		"        which takes at least %s on %d CPUs = %.2f× the %d-node plan's time. Hosts with CPUs of their own would run their share side by side.\n",
		nodes, benchkit.FmtSec(hosts), benchkit.FmtSec(sshAlone), benchkit.FmtSec(redis), benchkit.FmtSec(roma),
		benchkit.FmtSec(max(machine-roma-hosts-redis, 0)), benchkit.FmtSec(machine),
		benchkit.FmtSec(floor), runtime.NumCPU(), floor/small, smallNodes)
}
