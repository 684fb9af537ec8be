package main

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/remote"
)

// masterName is the name the sentinels monitor the master under.
const masterName = "m"

// sentinelSys is the Sentinel side, on the same lab hosts as romad's
// cluster: a plain redis-server on each host (the first one master, the
// others its replicas), and a redis-sentinel on each, bound to the host's
// address, all started over SSH inside the hosts.
type sentinelSys struct {
	o         options
	l         *lab.Lab
	nodes     []string // addresses of the redis-servers, one per host
	sentinels []string // addresses of the sentinels, one per host
	hostOf    map[string]*lab.Host
	conns     map[string]remote.Transport
}

func (s *sentinelSys) Name() string { return "redis-sentinel" }

// sentinelDir is where the Sentinel side lives on a host (inside it).
const sentinelDir = "/var/lib/roma/sentinel-bench"

func nodeConfPath(port int) string {
	return path.Join(sentinelDir, "node-"+strconv.Itoa(port), "redis.conf")
}

// nodeConf is a data node's redis.conf: the settings roma renders for its
// own data nodes (see redisconf), no more.
func nodeConf(h *lab.Host, port int) string {
	dir := path.Join(sentinelDir, "node-"+strconv.Itoa(port))
	return strings.Join([]string{
		"port " + strconv.Itoa(port),
		"bind " + h.Address,
		"replica-announce-ip " + h.Address,
		"protected-mode yes",
		"daemonize yes",
		"supervised no",
		"pidfile " + path.Join(dir, "redis.pid"),
		"logfile " + path.Join(dir, "redis.log"),
		"dir " + dir,
		"dbfilename dump.rdb",
		"requirepass " + password,
		"masterauth " + password,
		"repl-diskless-sync-delay 3",
		"",
	}, "\n")
}

func sentinelConf(h *lab.Host, o options, master string) string {
	dir := path.Join(sentinelDir, "sentinel")
	host, port, _ := strings.Cut(master, ":")
	return strings.Join([]string{
		"port " + strconv.Itoa(o.sentinelPort),
		"bind " + h.Address,
		"daemonize yes",
		"pidfile " + path.Join(dir, "sentinel.pid"),
		"logfile " + path.Join(dir, "sentinel.log"),
		"dir " + dir,
		"sentinel announce-ip " + h.Address,
		fmt.Sprintf("sentinel monitor %s %s %s 2", masterName, host, port),
		fmt.Sprintf("sentinel auth-pass %s %s", masterName, password),
		fmt.Sprintf("sentinel down-after-milliseconds %s %d", masterName, o.downAfter.Milliseconds()),
		fmt.Sprintf("sentinel failover-timeout %s %d", masterName, o.failoverTimeout.Milliseconds()),
		fmt.Sprintf("sentinel parallel-syncs %s 1", masterName),
		"",
	}, "\n")
}

// setupSentinel starts the Sentinel side: the nodes, replication from the
// first, then the sentinels.
func setupSentinel(ctx context.Context, o options, l *lab.Lab) (*sentinelSys, error) {
	s := &sentinelSys{o: o, l: l, hostOf: map[string]*lab.Host{}, conns: map[string]remote.Transport{}}
	for _, h := range l.Hosts {
		t, err := h.Dial(ctx)
		if err != nil {
			return s, err
		}
		s.conns[h.Name] = t
		addr := h.Address + ":" + strconv.Itoa(o.sentinelNodePort)
		s.nodes = append(s.nodes, addr)
		s.hostOf[addr] = h
		s.sentinels = append(s.sentinels, h.Address+":"+strconv.Itoa(o.sentinelPort))
		for _, d := range []string{path.Dir(nodeConfPath(o.sentinelNodePort)), path.Join(sentinelDir, "sentinel")} {
			if err := t.MkdirAll(ctx, d, 0o755); err != nil {
				return s, err
			}
		}
		if err := t.WriteFile(ctx, nodeConfPath(o.sentinelNodePort), []byte(nodeConf(h, o.sentinelNodePort)), 0o600); err != nil {
			return s, err
		}
		if err := s.startNode(ctx, addr); err != nil {
			return s, err
		}
	}
	master := s.nodes[0]
	mh, mp, _ := strings.Cut(master, ":")
	for _, r := range s.nodes[1:] {
		c := newClient(r, password)
		err := c.ReplicaOf(ctx, mh, mp).Err()
		if err == nil {
			err = c.ConfigRewrite(ctx).Err()
		}
		c.Close()
		if err != nil {
			return s, fmt.Errorf("replicaof on %s: %w", r, err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := replicationSettled(ctx, master, s.nodes[1:], password)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			return s, fmt.Errorf("replication of the Sentinel side: %w", err)
		}
		sleep(ctx, 100*time.Millisecond)
	}
	for _, h := range l.Hosts {
		t := s.conns[h.Name]
		conf := path.Join(sentinelDir, "sentinel", "sentinel.conf")
		if err := t.WriteFile(ctx, conf, []byte(sentinelConf(h, o, master)), 0o600); err != nil {
			return s, err
		}
		res, err := t.Run(ctx, "redis-sentinel "+conf)
		if err == nil {
			err = res.Err()
		}
		if err != nil {
			return s, fmt.Errorf("redis-sentinel on %s: %w", h.Name, err)
		}
	}
	return s, nil
}

// startNode starts the redis-server at addr from its conf file and waits
// until it answers.
func (s *sentinelSys) startNode(ctx context.Context, addr string) error {
	h := s.hostOf[addr]
	res, err := s.conns[h.Name].Run(ctx, "redis-server "+nodeConfPath(s.o.sentinelNodePort))
	if err == nil {
		err = res.Err()
	}
	if err != nil {
		return fmt.Errorf("redis-server on %s: %w", h.Name, err)
	}
	c := newClient(addr, password)
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(ctx).Err() != nil {
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server %s: not answering after 10s", addr)
		}
		sleep(ctx, 20*time.Millisecond)
	}
	return nil
}

// sentinelView is what one sentinel says of the master.
func (s *sentinelSys) sentinelView(ctx context.Context, addr string) (master map[string]string, replicas []map[string]string, err error) {
	c := newSentinelClient(addr)
	defer c.Close()
	sctx, cancel := context.WithTimeout(ctx, 2*opTimeout)
	defer cancel()
	if master, err = c.Master(sctx, masterName).Result(); err != nil {
		return nil, nil, err
	}
	replicas, err = c.Replicas(sctx, masterName).Result()
	return master, replicas, err
}

// Steady waits until every sentinel names the same master, flags it
// "master" only (no s_down, o_down or failover in progress), knows the two
// other sentinels and both replicas, flagged "slave" only with their link
// ok; and the replicas really follow that master, caught up.
func (s *sentinelSys) Steady(ctx context.Context, timeout time.Duration) (string, error) {
	var why error
	deadline := time.Now().Add(timeout)
	for {
		var master string
		why = func() error {
			for _, sa := range s.sentinels {
				m, reps, err := s.sentinelView(ctx, sa)
				if err != nil {
					return fmt.Errorf("sentinel %s: %w", sa, err)
				}
				addr := m["ip"] + ":" + m["port"]
				if master == "" {
					master = addr
				} else if addr != master {
					return fmt.Errorf("sentinels disagree: %s and %s", master, addr)
				}
				if m["flags"] != "master" {
					return fmt.Errorf("sentinel %s: master %s flags %s", sa, addr, m["flags"])
				}
				if m["num-other-sentinels"] != strconv.Itoa(len(s.sentinels)-1) {
					return fmt.Errorf("sentinel %s knows %s other sentinels", sa, m["num-other-sentinels"])
				}
				seen := 0
				for _, r := range reps {
					ra := r["ip"] + ":" + r["port"]
					if r["flags"] != "slave" || r["master-link-status"] != "ok" || r["master-host"]+":"+r["master-port"] != master {
						return fmt.Errorf("sentinel %s: replica %s flags %s, link %s, master %s:%s", sa, ra, r["flags"], r["master-link-status"], r["master-host"], r["master-port"])
					}
					seen++
				}
				if seen != len(s.nodes)-1 {
					return fmt.Errorf("sentinel %s lists %d replicas", sa, seen)
				}
			}
			var replicas []string
			for _, n := range s.nodes {
				if n != master {
					replicas = append(replicas, n)
				}
			}
			return replicationSettled(ctx, master, replicas, password)
		}()
		if why == nil {
			return master, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return "", fmt.Errorf("not steady within %s: %w", timeout, why)
		}
		sleep(ctx, 100*time.Millisecond)
	}
}

func (s *sentinelSys) Locator() locator { return newSentinelLocator(masterName, s.sentinels) }

// Master is the master's address as a majority of sentinels name it.
func (s *sentinelSys) Master(ctx context.Context) string {
	votes := map[string]int{}
	for _, sa := range s.sentinels {
		c := newSentinelClient(sa)
		sctx, cancel := context.WithTimeout(ctx, 2*opTimeout)
		a, err := c.GetMasterAddrByName(sctx, masterName).Result()
		cancel()
		c.Close()
		if err == nil && len(a) == 2 {
			votes[a[0]+":"+a[1]]++
		}
	}
	for a, n := range votes {
		if n*2 > len(s.sentinels) {
			return a
		}
	}
	return ""
}

// Restore starts the killed node again as it was (its redis.conf, which
// Sentinel's CONFIG REWRITE keeps): it comes back a master with its old
// data, and the sentinels turn it into a replica of the new master.
func (s *sentinelSys) Restore(ctx context.Context, addr string) error {
	return s.startNode(ctx, addr)
}

func (s *sentinelSys) node(addr string) string {
	if h, ok := s.hostOf[addr]; ok {
		return h.Name + "-" + strconv.Itoa(s.o.sentinelNodePort)
	}
	return addr
}

// Logs returns where the sentinels log, seen from outside the hosts.
func (s *sentinelSys) Logs() map[string]string {
	out := map[string]string{}
	for _, h := range s.l.Hosts {
		out[h.Name] = filepath.Join(h.Root, "sentinel-bench", "sentinel", "sentinel.log")
	}
	return out
}

// Close kills the sentinels and the redis-servers by the pids in their
// pidfiles (the lab would kill them too, with everything in its hosts).
func (s *sentinelSys) Close() {
	for _, h := range s.l.Hosts {
		for _, pf := range []string{
			filepath.Join(h.Root, "sentinel-bench", "sentinel", "sentinel.pid"),
			filepath.Join(h.Root, "sentinel-bench", "node-"+strconv.Itoa(s.o.sentinelNodePort), "redis.pid"),
		} {
			if b, err := os.ReadFile(pf); err == nil {
				pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
				// A pidfile outlives a killed process: only a live
				// redis process is killed.
				comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
				if err == nil && pid > 1 && strings.HasPrefix(string(comm), "redis-") {
					syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
	}
	for _, t := range s.conns {
		t.Close()
	}
}
