package apply

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/redisconf"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/redisinfo"
)

func (e *executor) addr(tg redisconf.Target) string {
	return net.JoinHostPort(tg.Host.Address, strconv.Itoa(tg.Port))
}

// kindOf is the kind of resource the plan makes of tg: node or status.
func kindOf(tg redisconf.Target) string {
	if tg.Kind == redisconf.KindStatus {
		return "status"
	}
	return "node"
}

// resource is tg's address in the plan and in events: node.NAME or
// status.NAME.
func resource(tg redisconf.Target) string { return kindOf(tg) + "." + tg.Name }

// client returns a client of tg with the cluster password, or the one it
// replaces while a rotation is under way. A node that has no password yet
// (its password was removed by hand) is reached without.
func (e *executor) client(ctx context.Context, tg redisconf.Target) *redis.Client {
	return e.clientReading(ctx, tg, 15*time.Second)
}

// shutdownSave stops the node at tg with SHUTDOWN SAVE. Redis answers
// (it closes the connection) once it has saved its whole dataset, which it
// does without answering anything else: the reply is awaited for as long
// as ReadyTimeout, at least 15s.
func (e *executor) shutdownSave(ctx context.Context, tg redisconf.Target) error {
	wait := max(15*time.Second, e.opts.ReadyTimeout)
	c := e.clientReading(ctx, tg, wait)
	defer c.Close()
	if said, ok := cannotSave(ctx, c); ok {
		// SHUTDOWN SAVE would be refused until a save succeeds.
		return unsavable(tg, said, ", so it cannot be stopped with a save (SHUTDOWN SAVE)")
	}
	err := redisconn.Shutdown(ctx, c, e.opts.ReadyTimeout, "SAVE")
	if err == nil {
		return nil
	}
	var nerr net.Error
	if errors.As(err, &nerr) && nerr.Timeout() {
		return fmt.Errorf("SHUTDOWN SAVE on %s: no answer within %s: it may still be saving a large dataset, and stop once it is saved; "+
			"see that it has stopped (roma plan), and give a dataset this large a longer -ready-timeout", tg.Name, wait)
	}
	return fmt.Errorf("SHUTDOWN SAVE on %s: %w", tg.Name, e.spec.Password.RedactError(err))
}

// shutdownNoSave stops the node at tg without saving (SHUTDOWN NOSAVE).
func (e *executor) shutdownNoSave(ctx context.Context, tg redisconf.Target) error {
	c := e.client(ctx, tg)
	defer c.Close()
	if err := redisconn.Shutdown(ctx, c, 10*time.Second, "NOSAVE"); err != nil {
		return fmt.Errorf("SHUTDOWN NOSAVE on %s: %w", tg.Name, e.spec.Password.RedactError(err))
	}
	return nil
}

// clientReading is client with a reply awaited for at most readTimeout.
func (e *executor) clientReading(ctx context.Context, tg redisconf.Target, readTimeout time.Duration) *redis.Client {
	newClient := func(password, previous string) *redis.Client {
		opts := redisconn.Options(e.addr(tg), password, 5*time.Second, 2)
		opts.ReadTimeout = readTimeout
		return redisconn.NewClient(redisconn.WithPrevious(opts, previous))
	}
	c := newClient(e.spec.Password.Reveal(), e.spec.Password.Previous().Reveal())
	if err := c.Ping(ctx).Err(); err != nil && strings.Contains(err.Error(), "without any password configured") {
		c.Close()
		c = newClient("", "")
	}
	return c
}

// waitReady waits until tg answers PING and has loaded its dataset,
// however long a large dataset takes to load: it gives up when tg has not
// answered, or its load has not moved on, for ReadyTimeout.
func (e *executor) waitReady(ctx context.Context, tg redisconf.Target) error {
	c := e.client(ctx, tg)
	defer c.Close()
	if err := redisconn.WaitLoaded(ctx, c, e.opts.ReadyTimeout); err != nil {
		return fmt.Errorf("%s at %s is not ready: %w", tg.Name, e.addr(tg), e.spec.Password.RedactError(err))
	}
	return nil
}

// replicaOf points tg at master (nil: make it a master).
func (e *executor) replicaOf(ctx context.Context, tg redisconf.Target, master *redisconf.Target) error {
	c := e.client(ctx, tg)
	defer c.Close()
	host, port := "no", "one"
	if master != nil {
		host, port = master.Host.Address, strconv.Itoa(master.Port)
	}
	// A node just started may be loading its master's dataset (a full
	// sync) and refuse with LOADING: wait it out, as for a start.
	if err := redisconn.ReplicaOf(ctx, c, host, port, e.opts.ReadyTimeout); err != nil {
		return fmt.Errorf("REPLICAOF %s %s on %s: %w", host, port, tg.Name, e.spec.Password.RedactError(err))
	}
	return nil
}

// replication reads tg's INFO replication and keyspace.
func (e *executor) replication(ctx context.Context, tg redisconf.Target) (redisinfo.Info, error) {
	return e.info(ctx, tg, "replication", "keyspace")
}

// info reads sections of tg's INFO.
func (e *executor) info(ctx context.Context, tg redisconf.Target, sections ...string) (redisinfo.Info, error) {
	c := e.client(ctx, tg)
	defer c.Close()
	reply, err := c.Info(ctx, sections...).Result()
	if err != nil {
		return nil, fmt.Errorf("INFO on %s: %w", tg.Name, e.spec.Password.RedactError(err))
	}
	return redisinfo.Parse(reply), nil
}

// waitSynced waits until replica follows master in sync with it
// (redisconn.WaitSynced). One that romad promoted or repointed meanwhile
// ends the wait within a moment (2s), saying so, rather than after the
// stall: its offset keeps rising as it follows another master.
func (e *executor) waitSynced(ctx context.Context, replica, master redisconf.Target) error {
	err := e.syncWait(ctx, replica, master)
	var nf *redisconn.NotFollowingError
	if errors.As(err, &nf) {
		return fmt.Errorf("replica %s of %s not in sync: %s now (did romad fail %s over?)", replica.Name, master.Name, e.following(nf), master.Name)
	}
	return err
}

// syncWait is waitSynced, with a *redisconn.NotFollowingError as it is.
func (e *executor) syncWait(ctx context.Context, replica, master redisconf.Target) error {
	rc := e.client(ctx, replica)
	defer rc.Close()
	mc := e.client(ctx, master)
	defer mc.Close()
	err := redisconn.WaitSynced(ctx, rc, mc, e.addr(master), e.opts.ReadyTimeout)
	var nf *redisconn.NotFollowingError
	if err != nil && !errors.As(err, &nf) {
		return fmt.Errorf("replica %s of %s not in sync: %w", replica.Name, master.Name, e.spec.Password.RedactError(err))
	}
	return err
}

// following says what a node that left its master does now: "it is a
// master", or "it follows" the node, by name, at nf.Follows.
func (e *executor) following(nf *redisconn.NotFollowingError) string {
	if nf.Follows == "" {
		return "it is a master"
	}
	if tg, ok := e.dataNodeAt(nf.Follows, -1); ok {
		return "it follows " + tg.Name
	}
	return "it follows " + nf.Follows
}

// dataNodeAt returns the data node of partition p (any, when p < 0) that
// roma.hcl puts at addr (host:port). Nodes may share a server, each with
// a database of its own.
func (e *executor) dataNodeAt(addr string, p int) (redisconf.Target, bool) {
	for _, tg := range e.targets {
		if tg.Kind == redisconf.KindData && (p < 0 || tg.Partition == p) && e.addr(tg) == addr {
			return tg, true
		}
	}
	return redisconf.Target{}, false
}

// failover hands mastership from master to replica with Redis FAILOVER,
// which pauses writes on the master until the replica has caught up, so
// no acknowledged write is lost, and waits until the roles have swapped.
func (e *executor) failover(ctx context.Context, master, replica redisconf.Target) error {
	c := e.client(ctx, master)
	defer c.Close()
	if err := redisconn.Failover(ctx, c, replica.Host.Address, replica.Port, 10*time.Second, failoverAsk); err != nil {
		return fmt.Errorf("FAILOVER TO %s on %s: %w", replica.Name, master.Name, e.spec.Password.RedactError(err))
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ns, err1 := e.replication(ctx, replica)
		os, err2 := e.replication(ctx, master)
		if err1 == nil && err2 == nil && ns["role"] == "master" && os.Replica() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("FAILOVER from %s to %s did not complete in 30s", master.Name, replica.Name)
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
}

// failoverAsk is how long failover asks again while FAILOVER refuses a
// replica that is not online yet.
const failoverAsk = 10 * time.Second

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist)
}
