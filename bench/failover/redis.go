package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// info returns the fields of INFO section of the instance at addr.
func info(ctx context.Context, addr, password, section string) (map[string]string, error) {
	c := newClient(addr, password)
	defer c.Close()
	ictx, cancel := context.WithTimeout(ctx, 2*opTimeout)
	defer cancel()
	s, err := c.Info(ictx, section).Result()
	if err != nil {
		return nil, err
	}
	kv := map[string]string{}
	for _, l := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), ":"); ok {
			kv[k] = v
		}
	}
	return kv, nil
}

// pidOf returns the pid of the redis-server at addr. The lab's hosts have
// their own mount namespaces but share this machine's pid namespace, so
// the pid is good here.
func pidOf(ctx context.Context, addr, password string) (int, error) {
	kv, err := info(ctx, addr, password, "server")
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(kv["process_id"])
	if err != nil || pid <= 1 {
		return 0, fmt.Errorf("%s: no process_id in INFO server", addr)
	}
	return pid, nil
}

// replicationSettled checks that master is a master followed by every
// address of replicas, each linked up and caught up with it.
func replicationSettled(ctx context.Context, master string, replicas []string, password string) error {
	m, err := info(ctx, master, password, "replication")
	if err != nil {
		return fmt.Errorf("master %s: %w", master, err)
	}
	if m["role"] != "master" {
		return fmt.Errorf("%s is %s, not master", master, m["role"])
	}
	off := m["master_repl_offset"]
	for _, r := range replicas {
		kv, err := info(ctx, r, password, "replication")
		if err != nil {
			return fmt.Errorf("replica %s: %w", r, err)
		}
		if kv["role"] != "slave" || kv["master_host"]+":"+kv["master_port"] != master {
			return fmt.Errorf("%s is %s of %s:%s, not a replica of %s", r, kv["role"], kv["master_host"], kv["master_port"], master)
		}
		if kv["master_link_status"] != "up" {
			return fmt.Errorf("replica %s: link %s", r, kv["master_link_status"])
		}
		// The master's offset moves with its pings to the replicas: a
		// replica within a few of those is caught up.
		if m2, err := info(ctx, master, password, "replication"); err != nil || lagBytes(kv["slave_repl_offset"], m2["master_repl_offset"]) > 1024 {
			return fmt.Errorf("replica %s: offset %s, master %s", r, kv["slave_repl_offset"], off)
		}
	}
	return nil
}

func lagBytes(replica, master string) int64 {
	r, _ := strconv.ParseInt(replica, 10, 64)
	m, _ := strconv.ParseInt(master, 10, 64)
	return m - r
}

// countLost counts the acknowledged keys prefix+i, for i in acked, missing
// on the instance at addr.
func countLost(ctx context.Context, addr, password, prefix string, acked []int) (int, error) {
	c := newClient(addr, password)
	defer c.Close()
	lost := 0
	for start := 0; start < len(acked); start += 1000 {
		end := min(start+1000, len(acked))
		keys := make([]string, 0, end-start)
		for _, i := range acked[start:end] {
			keys = append(keys, prefix+strconv.Itoa(i))
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		pipe := c.Pipeline()
		cmds := make([]interface{ Val() int64 }, len(keys))
		for j, k := range keys {
			cmds[j] = pipe.Exists(cctx, k)
		}
		_, err := pipe.Exec(cctx)
		cancel()
		if err != nil {
			return 0, fmt.Errorf("checking keys on %s: %w", addr, err)
		}
		for _, cmd := range cmds {
			if cmd.Val() == 0 {
				lost++
			}
		}
	}
	return lost, nil
}

// flush empties the instance at addr (its replicas follow), so that keys
// do not pile up over the trials.
func flush(ctx context.Context, addr, password string) error {
	c := newClient(addr, password)
	defer c.Close()
	fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return c.FlushAll(fctx).Err()
}
