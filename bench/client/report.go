package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// results are everything measured.
type results struct {
	tput *tputResult
	pipe *pipeResult
}

// The targets of the issue.
const (
	targetDirect = 0.9 // (a) roma / direct, at least
	targetProxy  = 1.5 // (b) roma / nutcracker, at least
	targetPipe   = 0.8 // (c) redis-cli time / roma cli time, at least
)

func report(w io.Writer, o options, res results, load0 string) {
	if t := res.tput; t != nil {
		fmt.Fprintf(w, "-- (a)(b) pipelined SET then GET of %d keys, pipelines of %d: operations/s, median [min … max] of %d runs\n",
			o.keys, o.batch, o.runs)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprint(tw, "goroutines\tphase\t")
		for _, s := range t.sides {
			fmt.Fprintf(tw, "%s\t", s)
		}
		fmt.Fprintln(tw)
		for _, g := range o.conc {
			for _, ph := range []string{phaseSet, phaseGet} {
				fmt.Fprintf(tw, "%d\t%s\t", g, ph)
				for _, s := range t.sides {
					rs := t.rates[tputKey{g, s, ph}]
					fmt.Fprintf(tw, "%s [%s … %s]\t", fmtRate(median(rs)), fmtRate(slices.Min(rs)), fmtRate(slices.Max(rs)))
				}
				fmt.Fprintln(tw)
			}
		}
		tw.Flush()
		fmt.Fprintf(w, "-- (a)(b) CPU µs per operation, median: this process (the Go clients) + nutcracker + the 4 redis-servers (this process's heap allocations per operation)\n")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprint(tw, "goroutines\tphase\t")
		for _, s := range t.sides {
			fmt.Fprintf(tw, "%s\t", s)
		}
		fmt.Fprintln(tw)
		for _, g := range o.conc {
			for _, ph := range []string{phaseSet, phaseGet} {
				fmt.Fprintf(tw, "%d\t%s\t", g, ph)
				for _, s := range t.sides {
					fmt.Fprintf(tw, "%s\t", fmtCPU(medianCPU(t.cpu[tputKey{g, s, ph}]), o.keys))
				}
				fmt.Fprintln(tw)
			}
		}
		tw.Flush()
		fmt.Fprintf(w, "   %s: each batch of %d consecutive keys pre-grouped by partition before the clock starts, one pipeline per master in parallel\n", sideDirect, o.batch)
		fmt.Fprintf(w, "   %s: the same pre-grouped batches, every command added to its master's pipeline by the goroutine that took the batch, then the pipelines sent in parallel (information: roma's client, and go-redis's ClusterClient, can only build as the application calls; the direct side above builds each master's pipeline in a goroutine of its own)\n", sideDirect1g)
		fmt.Fprintf(w, "   %s: %d keys of one partition per pipeline, partitions in turn (information: how an application that sorted its keys would send them)\n", sideDirect1p, o.batch)
	}
	if p := res.pipe; p != nil {
		fmt.Fprintf(w, "-- (c) %d SETs from a RESP file: seconds from start to exit, median [min … max] of %d runs\n", o.pipeCmds, o.pipeRuns)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		for _, s := range p.sides {
			ds := p.times[s]
			u := medianCPU(p.cpu[s])
			fmt.Fprintf(tw, "%s\t%s [%s … %s]\t%s\tCPU: the command %s, redis %s\t\n", s, fmtSeconds(medianDur(ds)), fmtSeconds(slices.Min(ds)), fmtSeconds(slices.Max(ds)),
				fmtRate(float64(o.pipeCmds)/medianDur(ds).Seconds())+"/s", fmtSeconds(u.client), fmtSeconds(u.servers))
		}
		tw.Flush()
	}

	fmt.Fprintf(w, "-- targets (ratios of medians)\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "comparison\tgoroutines\troma\tpeer\tratio\ttarget\t\tCPU µs/op, all processes: roma | peer")
	row := func(what, g, roma, peer string, ratio, target float64, info bool, cpu string) {
		verdict := "MISS"
		switch {
		case info:
			verdict = "(information)"
		case ratio >= target:
			verdict = "PASS"
		}
		tgt := fmt.Sprintf("≥ %.1f×", target)
		if info {
			tgt = ""
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.2f×\t%s\t%s\t%s\n", what, g, roma, peer, ratio, tgt, verdict, cpu)
	}
	if t := res.tput; t != nil {
		cmp := func(label, side, peer string, target float64, info bool) {
			for _, g := range o.conc {
				for _, ph := range []string{phaseSet, phaseGet} {
					r, q := median(t.rates[tputKey{g, side, ph}]), median(t.rates[tputKey{g, peer, ph}])
					rc, qc := medianCPU(t.cpu[tputKey{g, side, ph}]), medianCPU(t.cpu[tputKey{g, peer, ph}])
					cpu := fmt.Sprintf("%.2f | %.2f", perOp(rc.total(), o.keys), perOp(qc.total(), o.keys))
					row(fmt.Sprintf("%s %s: %s / %s", label, ph, side, peer), fmt.Sprint(g), fmtRate(r)+"/s", fmtRate(q)+"/s", r/q, target, info, cpu)
				}
			}
		}
		cmp("(a)", sideRoma, sideDirect, targetDirect, false)
		cmp("(b)", sideRoma, sideProxy, targetProxy, false)
		cmp("   ", sideRoma, sideDirect1g, 0, true)
		cmp("   ", sideRoma, sideDirect1p, 0, true)
		// What (a) leaves a client that, as roma's, is handed the commands
		// as the application makes them: direct/1b routes nothing at all.
		cmp("   ", sideDirect1g, sideDirect, 0, true)
	}
	if p := res.pipe; p != nil {
		rc := medianDur(p.times[pipeRedisCLI])
		r1, r4 := medianDur(p.times[pipeRoma1]), medianDur(p.times[pipeRoma4])
		row("(c) --pipe, one node: redis-cli time / roma cli time", "", fmtSeconds(r1), fmtSeconds(rc), rc.Seconds()/r1.Seconds(), targetPipe, false, "")
		row("    --pipe, roma cli into 4 partitions: redis-cli (1 node) / roma cli", "", fmtSeconds(r4), fmtSeconds(rc), rc.Seconds()/r4.Seconds(), 0, true, "")
	}
	tw.Flush()
	fmt.Fprintf(w, "   load average before the runs %s, after %s\n", load0, loadAvg())
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianDur(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(ds))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fmtRate(r float64) string {
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.2fM", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.0fk", r/1e3)
	}
	return fmt.Sprintf("%.0f", r)
}

func fmtSeconds(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }

// medianCPU is the median of each part of us, separately.
func medianCPU(us []cpuUse) cpuUse {
	var c, p, r []time.Duration
	var a, b []float64
	for _, u := range us {
		c, p, r = append(c, u.client), append(p, u.proxy), append(r, u.servers)
		a, b = append(a, float64(u.allocs)), append(b, float64(u.bytes))
	}
	return cpuUse{medianDur(c), medianDur(p), medianDur(r), uint64(median(a)), uint64(median(b))}
}

func perOp(d time.Duration, n int) float64 { return float64(d.Microseconds()) / float64(n) }

// fmtCPU is u per operation, in µs: client + proxy + servers, and the
// client's allocations (count and bytes).
func fmtCPU(u cpuUse, n int) string {
	return fmt.Sprintf("%.2f + %.2f + %.2f (%.1f allocs, %.0f B)", perOp(u.client, n), perOp(u.proxy, n), perOp(u.servers, n),
		float64(u.allocs)/float64(n), float64(u.bytes)/float64(n))
}
