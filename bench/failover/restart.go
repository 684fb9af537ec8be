package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/remote"
)

// A quick restart: the master is killed (kill -9) and started again at
// once from its redis.conf, well within down-after, as a tool, an
// operator or a quick reboot would. It comes back with what it last
// saved. The writer goes on throughout; once down-after and a full sync's
// wait have passed, the trial counts the acknowledged writes missing on
// the master the side names (Sentinel's replicas resync from the restarted
// master; romad promotes a replica that holds more first).

// restartTrial is one quick restart.
type restartTrial struct {
	n            int
	from, master string
	acked, lost  int
	failedOver   bool
	err          error
}

func runRestart(ctx context.Context, o options, sys system, n int) (t restartTrial, fatal error) {
	t.n = n
	prefix := fmt.Sprintf("r%d:", n)
	a, err := arm(ctx, sys, prefix)
	if err != nil {
		t.err = err
		return t, err
	}
	defer a.loc.close()
	old, pid, w := a.old, a.pid, a.w
	t.from = sys.node(old)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		w.halt()
		t.err = fmt.Errorf("kill -9 %d (%s): %w", pid, t.from, err)
		return t, t.err
	}
	for deadline := time.Now().Add(5 * time.Second); ; sleep(ctx, 5*time.Millisecond) {
		if _, err := pidOf(ctx, old, password); err != nil {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			w.halt()
			t.err = fmt.Errorf("%s still answers after kill -9", t.from)
			return t, t.err
		}
	}
	if err := sys.Restart(ctx, old); err != nil {
		w.halt()
		return t, fmt.Errorf("restarting %s: %w", t.from, err)
	}
	// down-after, a full sync's wait (up to 4s) and a moment more.
	sleep(ctx, o.downAfter+6*time.Second)
	w.halt()
	t.acked = len(w.acked)
	m, err := sys.Steady(ctx, 2*time.Minute)
	if err != nil {
		t.err = fmt.Errorf("after the restart: %w", err)
		return t, t.err
	}
	t.master, t.failedOver = sys.node(m), m != old
	if lost, err := countLost(ctx, m, password, prefix, w.acked); err != nil {
		t.err = err
	} else {
		t.lost = lost
	}
	if err := flush(ctx, m, password); err != nil {
		t.err = errors.Join(t.err, err)
	}
	return t, nil
}

func printRestart(name string, t restartTrial) {
	if t.err != nil && t.master == "" {
		fmt.Printf("   %-15s #%02d  %s: FAILED: %s\n", name, t.n, t.from, scrub(t.err.Error()))
		return
	}
	what := "stays master"
	if t.failedOver {
		what = "→ " + t.master
	}
	fmt.Printf("   %-15s #%02d  %s %-16s  acked %6d  lost %6d\n", name, t.n, t.from, what, t.acked, t.lost)
	if t.err != nil {
		fmt.Printf("   %-15s #%02d  FAILED check: %s\n", name, t.n, scrub(t.err.Error()))
	}
}

func reportRestarts(w io.Writer, o options, sides []*side) {
	fmt.Fprintf(w, "-- quick restart: kill -9 of the master, started again at once from its redis.conf\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "tool\ttrials ok\tfailed over\tacked\tlost writes\tlost per restart\tmax lost\t")
	lostPer := map[string]float64{}
	for _, s := range sides {
		ok, over, acked, lost, maxLost := 0, 0, 0, 0, 0
		for _, t := range s.restarts {
			if t.err != nil {
				continue
			}
			ok++
			if t.failedOver {
				over++
			}
			acked += t.acked
			lost += t.lost
			maxLost = max(maxLost, t.lost)
		}
		per := "-"
		if ok > 0 {
			lostPer[s.sys.Name()] = float64(lost) / float64(ok)
			per = fmt.Sprintf("%.1f", lostPer[s.sys.Name()])
		}
		fmt.Fprintf(tw, "%s\t%d/%d\t%d\t%d\t%d\t%s\t%d\t\n", s.sys.Name(), ok, o.restarts, over, acked, lost, per, maxLost)
	}
	tw.Flush()
	r, hasR := lostPer["romad"]
	sn, hasS := lostPer["redis-sentinel"]
	if hasR && hasS {
		target(w, "romad loses fewer writes than Sentinel", fmt.Sprintf("%.1f < %.1f", r, sn), r < sn)
	}
}

// Restart starts the killed node at addr again from its conf file, as an
// operator or a reboot would: a plain redis-server, without roma.
func (r *romadSys) Restart(ctx context.Context, addr string) error {
	n, ok := r.spec.Node(r.node(addr))
	if !ok {
		return fmt.Errorf("no node at %s", addr)
	}
	h, _ := r.spec.Host(n.Host)
	tr, err := plantest.Dial(ctx, h)
	if err != nil {
		return err
	}
	defer tr.Close()
	res, err := tr.Run(ctx, "redis-server "+remote.ShellQuote(cluster.LayoutOf(h).Conf(n.Name)))
	if err == nil {
		err = res.Err()
	}
	if err != nil {
		return fmt.Errorf("redis-server on %s: %w", h.Name, err)
	}
	return nil
}

// Restart starts the killed node at addr again from its redis.conf.
func (s *sentinelSys) Restart(ctx context.Context, addr string) error {
	return s.startNode(ctx, addr)
}
