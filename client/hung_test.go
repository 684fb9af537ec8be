package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconn/redistest"
	"github.com/roma-redis/roma/status"
)

// TestHungStatusNode: with one of three status nodes hung (a real
// redis-server, stopped: it takes connections and never answers), a
// client starts on the other two without waiting out its StatusTimeout,
// routes commands, and follows a new status that only the two live nodes
// hold (romad's alpha writes to a majority); and Close does not wait for
// the hung node either.
func TestHungStatusNode(t *testing.T) {
	ctx := context.Background()
	statuses := startServers(t, 3)
	addrs := addrsOf(statuses)
	d1, d2 := redistest.Start(t, testPassword), redistest.Start(t, testPassword)
	publish(t, masterStatus("hung", 1, masterAt{"d1", d1.Addr}), statuses...)
	statuses[0].Pause(t)

	const timeout = 5 * time.Second
	start := time.Now()
	c, err := New(ctx, Options{Cluster: "hung", StatusAddrs: addrs, Password: cluster.NewSecret(testPassword),
		StatusTimeout: timeout, PollInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("New with one status node hung: %v", err)
	}
	defer c.Close()
	if took := time.Since(start); took >= timeout/2 {
		t.Errorf("New took %s: it waited for the hung status node (StatusTimeout %s)", took.Round(time.Millisecond), timeout)
	}
	if err := c.Set(ctx, "k", "on d1", 0).Err(); err != nil {
		t.Fatalf("SET at epoch 1: %v", err)
	}
	direct := func(s *redistest.Server) string {
		r := redis.NewClient(&redis.Options{Addr: s.Addr, Password: testPassword})
		defer r.Close()
		v, _ := r.Get(ctx, "k").Result()
		return v
	}
	if got := direct(d1); got != "on d1" {
		t.Fatalf("d1 holds k = %q, want %q", got, "on d1")
	}

	// Epoch 2 moves the partition to d2, on the two live status nodes.
	publish(t, masterStatus("hung", 2, masterAt{"d2", d2.Addr}), statuses[1:]...)
	deadline := time.Now().Add(timeout)
	for {
		st, err := c.Status()
		if err == nil && st.Epoch == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the client did not follow epoch 2 within %s: status %v, %v", timeout, st, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := c.Set(ctx, "k", "on d2", 0).Err(); err != nil {
		t.Fatalf("SET at epoch 2: %v", err)
	}
	if got := direct(d2); got != "on d2" {
		t.Errorf("d2 holds k = %q after epoch 2, want %q", got, "on d2")
	}
	start = time.Now()
	c.Close()
	if took := time.Since(start); took >= timeout/2 {
		t.Errorf("Close took %s: it waited for the hung status node", took.Round(time.Millisecond))
	}
}

// TestNoReply: a master that hangs (a real redis-server, stopped) fails
// a command with ErrNoReply, naming the node, after ReadTimeout, or
// sooner when the command's context says so; in a pipeline as well. Not
// retried: the command may have run.
func TestNoReply(t *testing.T) {
	ctx := context.Background()
	st, d := redistest.Start(t, testPassword), redistest.Start(t, testPassword)
	publish(t, masterStatus("nr", 1, masterAt{"d1", d.Addr}), st)
	const readTimeout = 2 * time.Second
	c, err := New(ctx, Options{Cluster: "nr", StatusAddrs: []string{st.Addr}, Password: cluster.NewSecret(testPassword), ReadTimeout: readTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	d.Pause(t)

	check := func(what string, err error, took, atLeast, below time.Duration) {
		t.Helper()
		if !errors.Is(err, ErrNoReply) {
			t.Errorf("%s: error %v, want ErrNoReply", what, err)
		} else if msg := err.Error(); !strings.Contains(msg, "d1") || !strings.Contains(msg, d.Addr) {
			t.Errorf("%s: %q does not name node d1 at %s", what, msg, d.Addr)
		}
		if took < atLeast || took >= below {
			t.Errorf("%s took %s, want between %s and %s", what, took.Round(time.Millisecond), atLeast, below)
		}
	}
	start := time.Now()
	err = c.Get(ctx, "k").Err()
	check("GET, ReadTimeout", err, time.Since(start), readTimeout, 2*readTimeout)

	// start is taken before the context: its deadline is 300ms after
	// WithTimeout, not after whatever follows it.
	start = time.Now()
	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	err = c.Get(cctx, "k").Err()
	cancel()
	check("GET, context deadline", err, time.Since(start), 300*time.Millisecond, readTimeout)

	start = time.Now()
	cctx, cancel = context.WithTimeout(ctx, 300*time.Millisecond)
	var get *redis.StringCmd
	_, _ = c.Pipelined(cctx, func(p redis.Pipeliner) error {
		get = p.Get(cctx, "k")
		return nil
	})
	cancel()
	check("pipelined GET, context deadline", get.Err(), time.Since(start), 300*time.Millisecond, readTimeout)
}

// TestUnreachableMaster: a master whose server is gone (its port
// refuses connections) fails a command with ErrUnreachable naming the
// node, after the client waited FailoverWait for a newer status, and the
// error says none came (ErrNoFailover); sooner, when the command's
// context ends first. Single commands, pipelines, transactions and
// ProcessPartition alike. A status published during the wait moves the
// command to the new master.
func TestUnreachableMaster(t *testing.T) {
	ctx := context.Background()
	st, d2 := redistest.Start(t, testPassword), redistest.Start(t, testPassword)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := l.Addr().String()
	l.Close() // nothing listens there now: connections are refused
	publish(t, masterStatus("gone", 1, masterAt{"d1", gone}), st)
	const wait = 400 * time.Millisecond
	c, err := New(ctx, Options{Cluster: "gone", StatusAddrs: []string{st.Addr}, Password: cluster.NewSecret(testPassword),
		FailoverWait: wait, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	check := func(what string, err error, took time.Duration, when string, atLeast, below time.Duration) {
		t.Helper()
		switch msg := fmt.Sprint(err); {
		case !errors.Is(err, ErrUnreachable) || !errors.Is(err, ErrNoFailover):
			t.Errorf("%s: error %v, want ErrUnreachable and ErrNoFailover", what, err)
		case !strings.Contains(msg, "node d1 ("+gone) || !strings.Contains(msg, "refused"):
			t.Errorf("%s: %q does not name node d1 at %s and the refusal", what, msg, gone)
		case !strings.HasSuffix(msg, "no failover published "+when):
			t.Errorf("%s: %q does not end in %q", what, msg, "no failover published "+when)
		}
		if took < atLeast || took >= below {
			t.Errorf("%s took %s, want between %s and %s", what, took.Round(time.Millisecond), atLeast, below)
		}
	}
	within := "within " + wait.String()
	start := time.Now()
	err = c.Set(ctx, "k", "v", 0).Err()
	check("SET", err, time.Since(start), within, wait, wait+2*time.Second)
	if msg := fmt.Sprint(err); !strings.Contains(msg, "partition 0") {
		t.Errorf("SET: %q does not name partition 0", msg)
	}

	start = time.Now()
	var get *redis.StringCmd
	_, _ = c.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, "k")
		return nil
	})
	check("pipelined GET", get.Err(), time.Since(start), within, wait, wait+2*time.Second)
	if msg := fmt.Sprint(get.Err()); !strings.Contains(msg, "partition 0") {
		t.Errorf("pipelined GET: %q does not name partition 0", msg)
	}

	start = time.Now()
	_, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, "n")
		return nil
	})
	check("MULTI INCR EXEC", err, time.Since(start), within, wait, wait+2*time.Second)

	start = time.Now()
	err = c.ProcessPartition(ctx, 0, redis.NewCmd(ctx, "dbsize"))
	check("DBSIZE on partition 0", err, time.Since(start), within, wait, wait+2*time.Second)

	// A deadline before FailoverWait ends: the command gives up then,
	// without sending again.
	start = time.Now() // before the context, whose deadline counts from WithTimeout
	cctx, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
	err = c.Get(cctx, "k").Err()
	cancel()
	check("GET, context deadline", err, time.Since(start), "before the command's deadline", 150*time.Millisecond, wait)

	// A failover published while a command waits: it runs on the new
	// master.
	r := redis.NewClient(&redis.Options{Addr: d2.Addr, Password: testPassword})
	defer r.Close()
	if err := r.Set(ctx, "k", "on d2", 0).Err(); err != nil {
		t.Fatal(err)
	}
	c2, err := New(ctx, Options{Cluster: "gone", StatusAddrs: []string{st.Addr}, Password: cluster.NewSecret(testPassword),
		FailoverWait: 10 * time.Second, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	go func() {
		time.Sleep(200 * time.Millisecond)
		publish(t, masterStatus("gone", 2, masterAt{"d2", d2.Addr}), st)
	}()
	start = time.Now()
	v, err := c2.Get(ctx, "k").Result()
	if err != nil || v != "on d2" {
		t.Errorf("GET during a failover to d2: %q, %v; want %q", v, err, "on d2")
	}
	if took := time.Since(start); took >= 5*time.Second {
		t.Errorf("GET during a failover took %s: it did not follow the new status", took.Round(time.Millisecond))
	}
}

// TestSubscriptionGap: a status published while the client's subscription
// was down never comes as a message; the client reads the status when
// go-redis has subscribed again (here after its connection is killed),
// polling off. The same read closes the gap between New's first read and
// its first subscription.
func TestSubscriptionGap(t *testing.T) {
	ctx := context.Background()
	st, d1, d2 := redistest.Start(t, testPassword), redistest.Start(t, testPassword), redistest.Start(t, testPassword)
	publish(t, masterStatus("gap", 1, masterAt{"d1", d1.Addr}), st)
	c, err := New(ctx, Options{Cluster: "gap", StatusAddrs: []string{st.Addr}, Password: cluster.NewSecret(testPassword),
		PollInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc := redis.NewClient(&redis.Options{Addr: st.Addr, Password: testPassword})
	defer sc.Close()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if n, _ := sc.PubSubNumSub(ctx, status.Channel("gap")).Result(); n[status.Channel("gap")] == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the client did not subscribe within 5s")
		}
	}
	// Epoch 2 is stored with no message (the one published while the
	// subscription was down is lost); then the subscription goes down and
	// comes back.
	if err := sc.HSet(ctx, status.StatusKey("gap"), masterStatus("gap", 2, masterAt{"d2", d2.Addr}).Fields()).Err(); err != nil {
		t.Fatal(err)
	}
	if err := sc.Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub").Err(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if s, err := c.Status(); err == nil && s.Epoch == 2 {
			break
		}
		if time.Now().After(deadline) {
			s, err := c.Status()
			t.Fatalf("the client holds epoch %d (%v) 10s after subscribing again; epoch 2 was stored meanwhile", s.Epoch, err)
		}
	}
}
