package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// proxyPort is nutcracker's listening port; statsPort its stats port,
// both on the lab's spare loopback address.
const (
	proxyPort = 22121
	statsPort = 22222
)

// nutcracker is a running twemproxy in front of a cluster's masters.
type nutcracker struct {
	addr   string
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // how it exited, once exited is closed
	log    string
	client *redis.Client
}

// startNutcracker starts nutcracker on addr with one pool over c's masters
// (hash fnv1a_64, distribution modula, redis_auth, one connection per
// server, preconnect, no ejection) and waits until it answers through to
// every master.
func startNutcracker(ctx context.Context, work, addr string, c *benchCluster) (*nutcracker, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "roma:\n  listen: %s\n  hash: fnv1a_64\n  distribution: modula\n  redis: true\n  redis_auth: %s\n",
		net.JoinHostPort(addr, fmt.Sprint(proxyPort)), password)
	fmt.Fprintf(&b, "  preconnect: true\n  auto_eject_hosts: false\n  server_connections: 1\n  servers:\n")
	for p, a := range c.addrs {
		fmt.Fprintf(&b, "    - %s:1 p%d\n", a, p)
	}
	conf := filepath.Join(work, "nutcracker.yml")
	if err := os.WriteFile(conf, []byte(b.String()), 0o600); err != nil {
		return nil, err
	}
	n := &nutcracker{addr: net.JoinHostPort(addr, fmt.Sprint(proxyPort)), exited: make(chan struct{}),
		log: filepath.Join(work, "nutcracker.log")}
	if out, err := exec.Command("nutcracker", "-t", "-c", conf).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("nutcracker -t: %w: %s", err, tail(string(out), 800))
	}
	n.cmd = exec.Command("nutcracker", "-c", conf, "-o", n.log, "-v", "4",
		"-a", addr, "-s", fmt.Sprint(statsPort), "-p", filepath.Join(work, "nutcracker.pid"))
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // gone with us, whatever happens
	if err := n.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { n.err = n.cmd.Wait(); close(n.exited) }()
	opt := redisOptions(n.addr, 0)
	opt.Dialer = dialNoHello
	n.client = redis.NewClient(opt)
	// Every master answers through the proxy: one key of each, as
	// nutcracker places them, written, read back and deleted.
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := n.check(ctx, c)
		if err == nil {
			return n, nil
		}
		select {
		case <-n.exited:
			return nil, fmt.Errorf("exited (%v); log: %s", n.err, n.logTail())
		default:
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			n.stop()
			return nil, fmt.Errorf("not answering after 15s: %v; log: %s", err, n.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// check writes keys through the proxy until every master holds one, then
// deletes them.
func (n *nutcracker) check(ctx context.Context, c *benchCluster) error {
	defer c.flush(ctx)
	for i := range 1000 {
		if err := n.client.Set(ctx, fmt.Sprintf("probe:%d", i), "x", 0).Err(); err != nil {
			return err
		}
		sizes, err := c.dbsizes(ctx)
		if err != nil {
			return err
		}
		all := true
		for _, s := range sizes {
			all = all && s > 0
		}
		if all {
			return nil
		}
	}
	return fmt.Errorf("1000 keys written through nutcracker, and some master holds none")
}

func (n *nutcracker) logTail() string {
	b, _ := os.ReadFile(n.log)
	return tail(string(b), 800)
}

// stop kills nutcracker (by its pid) and waits for it. It fails when
// nutcracker had exited by itself before.
func (n *nutcracker) stop() error {
	if n.client != nil {
		n.client.Close()
	}
	select {
	case <-n.exited:
		return fmt.Errorf("nutcracker exited during the benchmark (%v); log: %s", n.err, n.logTail())
	default:
	}
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.exited:
	case <-time.After(5 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.exited
	}
	return nil
}

// dialNoHello dials a connection on which the first command, when it is
// HELLO, is answered "-ERR unknown command" without reaching the server.
// go-redis v9 opens every connection with HELLO and gives up when the
// server closes the connection instead of answering an error, which is
// what nutcracker does with a command it does not support
// (github.com/redis/go-redis/issues/2616). With the error, go-redis falls
// back to AUTH, which nutcracker's redis_auth takes. Every later byte
// passes through untouched.
func dialNoHello(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &noHelloConn{Conn: c}, nil
}

type noHelloConn struct {
	net.Conn
	first   bool   // the first command was seen
	pending []byte // a reply to give before reading from the server
}

var helloCmd = regexp.MustCompile(`(?i)^\*\d+\r\n\$5\r\nhello\r\n`)

func (c *noHelloConn) Write(b []byte) (int, error) {
	if !c.first {
		c.first = true
		if helloCmd.Match(b) {
			c.pending = []byte("-ERR unknown command 'hello'\r\n")
			return len(b), nil
		}
	}
	return c.Conn.Write(b)
}

func (c *noHelloConn) Read(b []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(b, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Conn.Read(b)
}
