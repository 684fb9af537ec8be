package main

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/roma-redis/roma/client/clienttest"
	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/redisinfo"
	"github.com/roma-redis/roma/status"
)

// cmdWriteStatus publishes a status of the lab cluster on its status
// nodes, as romad would:
//
//	writestatus EPOCH [P=NODE...]  OK; partition P's master is NODE (default: its first node)
//	writestatus EPOCH halt P       HALT: partition P has no master
func cmdWriteStatus(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: writestatus EPOCH [P=NODE...] | writestatus EPOCH halt P")
	}
	spec := labSpec(ts)
	epoch, err := strconv.ParseInt(args[0], 10, 64)
	ts.Check(err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var st *status.Status
	if len(args) == 3 && args[1] == "halt" {
		p, err := strconv.Atoi(args[2])
		ts.Check(err)
		st = clienttest.Halt(readStatus(ctx, ts), epoch, p)
	} else {
		masters := map[int]string{}
		for _, a := range args[1:] {
			ps, node, ok := strings.Cut(a, "=")
			p, err := strconv.Atoi(ps)
			if !ok || err != nil {
				ts.Fatalf("writestatus: %q is not P=NODE", a)
			}
			masters[p] = node
		}
		st = clienttest.Status(spec, epoch, masters)
	}
	err = clienttest.Publish(ctx, spec, st)
	if neg {
		if err == nil {
			ts.Fatalf("writestatus succeeded")
		}
		return
	}
	ts.Check(err)
}

// cmdFailover makes NODE the master of its partition, as romad would
// (REPLICAOF NO ONE, the others repointed), and publishes a status at
// EPOCH saying so:
//
//	failover NODE EPOCH
func cmdFailover(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: failover NODE EPOCH")
	}
	epoch, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = clienttest.Failover(ctx, labSpec(ts), readStatus(ctx, ts), args[0], epoch, 0)
	ts.Check(err)
}

// cmdPause stops the redis-server of lab node NODE (SIGSTOP): it takes
// connections and never answers, as a hung server does. It is continued
// by resume, or when the script ends.
//
//	pause NODE
func cmdPause(ts *testscript.TestScript, neg bool, args []string) {
	pid := nodePid(ts, args)
	ts.Check(syscall.Kill(pid, syscall.SIGSTOP))
	ts.Defer(func() { _ = syscall.Kill(pid, syscall.SIGCONT) })
	ts.Setenv("PAUSED_PID_"+args[0], strconv.Itoa(pid))
}

// cmdCrash kills the redis-server of lab node NODE (SIGKILL), as a crash
// would, and waits until its port refuses connections (the process takes
// a moment to go, and meanwhile the kernel still accepts connections,
// then resets them): so it stays until roma start brings it back.
//
//	crash NODE
func cmdCrash(ts *testscript.TestScript, neg bool, args []string) {
	ts.Check(syscall.Kill(nodePid(ts, args), syscall.SIGKILL))
	spec := labSpec(ts)
	host, port := labNode(ts, args[0])
	addr := spec.Addr(host, port)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if errors.Is(err, syscall.ECONNREFUSED) {
			return
		}
		if conn != nil {
			conn.Close()
		}
		if time.Now().After(deadline) {
			ts.Fatalf("crash %s: %s still takes connections 10s after SIGKILL (%v)", args[0], addr, err)
		}
	}
}

// cmdResume continues a node stopped by pause.
//
//	resume NODE
func cmdResume(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: resume NODE")
	}
	pid, err := strconv.Atoi(ts.Getenv("PAUSED_PID_" + args[0]))
	if err != nil {
		ts.Fatalf("resume %s: not paused", args[0])
	}
	ts.Check(syscall.Kill(pid, syscall.SIGCONT))
}

// labNode returns the host and port of the lab cluster's data or status
// node name.
func labNode(ts *testscript.TestScript, name string) (host string, port int) {
	host, port, ok := plantest.NodeAt(labSpec(ts), name)
	if !ok {
		ts.Fatalf("no node %s in the lab cluster", name)
	}
	return host, port
}

// nodePid is the pid of lab node NODE's redis-server (INFO's process_id:
// lab hosts have mount namespaces of their own, not pid namespaces).
func nodePid(ts *testscript.TestScript, args []string) int {
	if len(args) != 1 {
		ts.Fatalf("usage: pause|crash NODE")
	}
	host, port := labNode(ts, args[0])
	c := plantest.Client(labSpec(ts), host, port)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info, err := c.Info(ctx, "server").Result()
	ts.Check(err)
	pid := redisinfo.Parse(info).Int("process_id")
	if pid == 0 {
		ts.Fatalf("no process_id in INFO server of %s", args[0])
	}
	return int(pid)
}

// readStatus reads the status published on the lab cluster's first
// status node.
func readStatus(ctx context.Context, ts *testscript.TestScript) *status.Status {
	spec := labSpec(ts)
	sn := spec.Status[0]
	c := plantest.Client(spec, sn.Host, sn.Port)
	defer c.Close()
	st, err := status.Read(ctx, c, spec.Name)
	ts.Check(err)
	return st
}
