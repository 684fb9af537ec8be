package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// The sides of (a) and (b).
const (
	sideRoma     = "roma client"
	sideDirect   = "direct go-redis"
	sideDirect1p = "direct/1p"
	sideDirect1g = "direct/1b"
	sideProxy    = "nutcracker"
)

// The phases of a run.
const (
	phaseSet = "SET"
	phaseGet = "GET"
)

// pipeliner is what every side sends pipelines through: a go-redis client
// of one node or of nutcracker, or roma's client.
type pipeliner interface {
	Pipelined(ctx context.Context, fn func(redis.Pipeliner) error) ([]redis.Cmder, error)
}

// send is one pipeline: the commands of keys idx, to p.
type send struct {
	p   pipeliner
	idx []int32
}

// side is one way of sending the workload: jobs taken in turn by the
// goroutines; the sends of one job go in parallel.
type side struct {
	name string
	code string // in the values it writes
	jobs [][]send
	// placed: each master must hold exactly its partition's keys (else
	// only the total is checked).
	placed bool
	// buildFirst: the goroutine that takes a job adds every command to
	// its sends' pipelines itself, then sends them in parallel (as roma's
	// client and go-redis's ClusterClient do); else each send is built
	// and sent by a goroutine of its own.
	buildFirst bool
}

// tputKey names one series of measurements.
type tputKey struct {
	conc        int
	side, phase string
}

// tputResult holds every run's throughput, in operations per second.
type tputResult struct {
	sides []string
	rates map[tputKey][]float64
	cpu   map[tputKey][]cpuUse
}

// phaseResult is one phase of one run.
type phaseResult struct {
	rate float64 // operations per second
	cpu  cpuUse
}

// throughput runs (a) and (b) on cluster c and nutcracker n.
func throughput(ctx context.Context, o options, c *benchCluster, n *nutcracker) (*tputResult, error) {
	rc, err := c.newClient(ctx)
	if err != nil {
		return nil, fmt.Errorf("roma client: %w", err)
	}
	defer rc.Close()

	N, B := o.keys, o.batch
	keys := make([]string, N)
	part := make([]int, N)
	want := make([]int64, len(c.masters)) // keys per partition
	byPart := make([][]int32, len(c.masters))
	for i := range N {
		keys[i] = fmt.Sprintf("key:%09d", i)
		part[i] = c.partition(keys[i])
		want[part[i]]++
		byPart[part[i]] = append(byPart[part[i]], int32(i))
	}
	roma := side{name: sideRoma, code: "r", placed: true}
	direct := side{name: sideDirect, code: "d", placed: true}
	direct1p := side{name: sideDirect1p, code: "1", placed: true}
	direct1b := side{name: sideDirect1g, code: "b", placed: true, buildFirst: true}
	proxy := side{name: sideProxy, code: "n"}
	for lo := 0; lo < N; lo += B {
		hi := min(lo+B, N)
		idx := make([]int32, 0, hi-lo)
		groups := make([][]int32, len(c.masters))
		for i := lo; i < hi; i++ {
			idx = append(idx, int32(i))
			groups[part[i]] = append(groups[part[i]], int32(i))
		}
		roma.jobs = append(roma.jobs, []send{{rc, idx}})
		proxy.jobs = append(proxy.jobs, []send{{n.client, idx}})
		var job []send
		for p, g := range groups {
			if len(g) > 0 {
				job = append(job, send{c.masters[p], g})
			}
		}
		direct.jobs = append(direct.jobs, job)
		direct1b.jobs = append(direct1b.jobs, job)
	}
	// direct/1p: B keys of one partition per pipeline, the partitions in
	// turn.
	for k := 0; ; k += B {
		more := false
		for p, ks := range byPart {
			if k < len(ks) {
				more = true
				direct1p.jobs = append(direct1p.jobs, []send{{c.masters[p], ks[k:min(k+B, len(ks))]}})
			}
		}
		if !more {
			break
		}
	}
	sides := []side{roma, direct, direct1b, direct1p, proxy}

	meter, err := newCPUMeter(ctx, c, n.cmd.Process.Pid)
	if err != nil {
		return nil, err
	}
	res := &tputResult{rates: map[tputKey][]float64{}, cpu: map[tputKey][]cpuUse{}}
	for _, s := range sides {
		res.sides = append(res.sides, s.name)
	}
	w := &workload{c: c, meter: meter, keys: keys, part: part, want: want, vals: make([]string, N),
		sets: make([]*redis.StatusCmd, N), gets: make([]*redis.StringCmd, N), valueSize: o.valueSize}

	// One run of each side first, unrecorded: connections made, servers
	// and allocators warm.
	for _, s := range sides {
		if _, _, err := w.run(ctx, s, o.conc[0], "warm-up"); err != nil {
			return nil, err
		}
	}
	for _, g := range o.conc {
		for r := range o.runs {
			for k := range sides {
				s := sides[(k+r)%len(sides)]
				set, get, err := w.run(ctx, s, g, fmt.Sprintf("g%d-r%d", g, r+1))
				if err != nil {
					return nil, err
				}
				for ph, pr := range map[string]phaseResult{phaseSet: set, phaseGet: get} {
					k := tputKey{g, s.name, ph}
					res.rates[k] = append(res.rates[k], pr.rate)
					res.cpu[k] = append(res.cpu[k], pr.cpu)
				}
				if o.verbose {
					fmt.Printf("   %2d goroutines  run %d  %-16s  SET %9.0f/s (CPU µs/op: %s)  GET %9.0f/s (%s)\n", g, r+1, s.name,
						set.rate, fmtCPU(set.cpu, o.keys), get.rate, fmtCPU(get.cpu, o.keys))
				}
			}
		}
	}
	return res, nil
}

// workload is the keys of (a) and (b) and the replies of one run.
type workload struct {
	c         *benchCluster
	meter     *cpuMeter
	keys      []string
	part      []int
	want      []int64
	vals      []string
	sets      []*redis.StatusCmd
	gets      []*redis.StringCmd
	valueSize int
}

// run is one run of side s with g goroutines: flush, SET every key, check,
// GET every key, check. It returns each phase's figures.
func (w *workload) run(ctx context.Context, s side, g int, tag string) (set, get phaseResult, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("%s, %d goroutines, run %s: %w", s.name, g, tag, err)
		}
	}()
	prefix := s.code + ":" + tag + ":"
	for i := range w.vals {
		w.vals[i] = pad(fmt.Sprintf("%s%d:", prefix, i), w.valueSize)
	}
	clear(w.sets)
	clear(w.gets)
	if err := w.c.flush(ctx); err != nil {
		return set, get, err
	}

	// Each phase starts on a collected heap, as testing's benchmarks do: a
	// collection left over from the run before (the replies it checked)
	// would land on whichever side runs next.
	runtime.GC()
	u0 := w.meter.read()
	// Profile labels say which side and phase a CPU sample belongs to
	// (-cpuprofile; pprof -tagfocus side=...).
	d, err := runPhase(pprof.WithLabels(ctx, pprof.Labels("side", s.name, "phase", phaseSet)), s, g, func(p redis.Pipeliner, i int32) {
		w.sets[i] = p.Set(ctx, w.keys[i], w.vals[i], 0)
	})
	set = phaseResult{float64(len(w.keys)) / d.Seconds(), w.meter.read().sub(u0)}
	if err != nil {
		return set, get, fmt.Errorf("SET: %w", err)
	}
	if err := w.checkSets(ctx, s); err != nil {
		return set, get, err
	}
	clear(w.sets)

	runtime.GC()
	u0 = w.meter.read()
	d, err = runPhase(pprof.WithLabels(ctx, pprof.Labels("side", s.name, "phase", phaseGet)), s, g, func(p redis.Pipeliner, i int32) {
		w.gets[i] = p.Get(ctx, w.keys[i])
	})
	get = phaseResult{float64(len(w.keys)) / d.Seconds(), w.meter.read().sub(u0)}
	if err != nil {
		return set, get, fmt.Errorf("GET: %w", err)
	}
	bad := 0
	var first string
	for i, cmd := range w.gets {
		switch {
		case cmd == nil:
			first = fmt.Sprintf("GET %s: no command", w.keys[i])
		case cmd.Err() != nil:
			first = fmt.Sprintf("GET %s: %v", w.keys[i], cmd.Err())
		case cmd.Val() != w.vals[i]:
			first = fmt.Sprintf("GET %s = %q, want %q", w.keys[i], cmd.Val(), w.vals[i])
		default:
			continue
		}
		bad++
	}
	if bad > 0 {
		return set, get, fmt.Errorf("%d of %d GETs wrong; one: %s", bad, len(w.keys), first)
	}
	clear(w.gets)
	return set, get, nil
}

// checkSets checks that every SET was answered OK and that the masters
// hold the keys: exactly each partition's for a side that places keys by
// the cluster's hash, every key in all otherwise; a sample of keys is
// read straight from its partition's master.
func (w *workload) checkSets(ctx context.Context, s side) error {
	bad := 0
	var first string
	for i, cmd := range w.sets {
		switch {
		case cmd == nil:
			first = fmt.Sprintf("SET %s: no command", w.keys[i])
		case cmd.Err() != nil:
			first = fmt.Sprintf("SET %s: %v", w.keys[i], cmd.Err())
		case cmd.Val() != "OK":
			first = fmt.Sprintf("SET %s: %q", w.keys[i], cmd.Val())
		default:
			continue
		}
		bad++
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d SETs failed; one: %s", bad, len(w.keys), first)
	}
	sizes, err := w.c.dbsizes(ctx)
	if err != nil {
		return err
	}
	var total int64
	for p, n := range sizes {
		total += n
		if s.placed && n != w.want[p] {
			return fmt.Errorf("after the SETs, the master of partition %d (%s) holds %d keys, want %d", p, w.c.addrs[p], n, w.want[p])
		}
	}
	if total != int64(len(w.keys)) {
		return fmt.Errorf("after %d SETs, the masters hold %d keys (%v)", len(w.keys), total, sizes)
	}
	if !s.placed {
		return nil
	}
	step := max(1, len(w.keys)/2000)
	pipes := make([]redis.Pipeliner, len(w.c.masters))
	for p, m := range w.c.masters {
		pipes[p] = m.Pipeline()
	}
	type probe struct {
		i   int
		cmd *redis.StringCmd
	}
	var probes []probe
	for i := 0; i < len(w.keys); i += step {
		probes = append(probes, probe{i, pipes[w.part[i]].Get(ctx, w.keys[i])})
	}
	for p, pipe := range pipes {
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("GET from %s: %w", w.c.addrs[p], err)
		}
	}
	for _, pr := range probes {
		if v, err := pr.cmd.Result(); err != nil || v != w.vals[pr.i] {
			return fmt.Errorf("key %s on the master of its partition %d: %q, %v; want %q", w.keys[pr.i], w.part[pr.i], v, err, w.vals[pr.i])
		}
	}
	return nil
}

// runPhase runs side s's jobs with g goroutines taking them in turn, each
// job's sends in parallel, and op adding the command of key i to a
// pipeline. It returns the time from the first job to the last reply, and
// the first pipeline error other than a command's own (which the checks
// see).
func runPhase(ctx context.Context, s side, g int, op func(redis.Pipeliner, int32)) (time.Duration, error) {
	jobs := s.jobs
	var next atomic.Int64
	var mu sync.Mutex
	var firstErr error
	fail := func(err error) {
		var rerr redis.Error
		if err != nil && !errors.As(err, &rerr) {
			mu.Lock()
			if firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}
	}
	do := func(s send) {
		_, err := s.p.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, i := range s.idx {
				op(p, i)
			}
			return nil
		})
		fail(err)
	}
	// buildFirst: the job's pipelines, built by the goroutine that took it.
	build := func(job []send) []redis.Pipeliner {
		pipes := make([]redis.Pipeliner, 0, len(job))
		for _, s := range job {
			p := s.p.(*redis.Client).Pipeline()
			for _, i := range s.idx {
				op(p, i)
			}
			pipes = append(pipes, p)
		}
		return pipes
	}
	exec := func(p redis.Pipeliner) {
		_, err := p.Exec(ctx)
		fail(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for range g {
		wg.Go(func() {
			pprof.SetGoroutineLabels(ctx) // and the goroutines it starts
			for {
				j := int(next.Add(1) - 1)
				if j >= len(jobs) {
					return
				}
				job := jobs[j]
				var jw sync.WaitGroup
				if s.buildFirst {
					pipes := build(job)
					for _, p := range pipes[1:] {
						jw.Go(func() { exec(p) })
					}
					exec(pipes[0])
					jw.Wait()
					continue
				}
				for _, s := range job[1:] {
					jw.Go(func() { do(s) })
				}
				do(job[0])
				jw.Wait()
			}
		})
	}
	wg.Wait()
	return time.Since(start), firstErr
}

// pad fills s with '.' up to n bytes.
func pad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat(".", n-len(s))
}
