package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// The sides of (c).
const (
	pipeRedisCLI = "redis-cli --pipe, 1 node"
	pipeRoma1    = "roma cli --pipe, 1 partition"
	pipeRoma4    = "roma cli --pipe, 4 partitions"
)

// pipeResult holds every run's time, per side.
type pipeResult struct {
	sides []string
	times map[string][]time.Duration
	cpu   map[string][]cpuUse // client: the command's own CPU time
}

// pipeSide is one command that sends the file into a cluster.
type pipeSide struct {
	name  string
	c     *benchCluster
	meter *cpuMeter
	args  []string
	env   []string
}

// countsLine is the last line both redis-cli --pipe and roma cli --pipe
// print.
var countsLine = regexp.MustCompile(`(?m)^errors: (\d+), replies: (\d+)\s*$`)

// pipeBench runs (c): the same file of SETs through redis-cli --pipe into
// the node of cluster one, through roma cli --pipe into cluster one (that
// node), and through roma cli --pipe into cluster four.
func pipeBench(ctx context.Context, o options, work, roma string, one, four *benchCluster) (*pipeResult, error) {
	file := filepath.Join(work, "pipe.resp")
	keys, val, err := writePipeFile(file, o.pipeCmds, o.valueSize)
	if err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(one.addrs[0])
	m1, err := newCPUMeter(ctx, one, 0)
	if err != nil {
		return nil, err
	}
	m4, err := newCPUMeter(ctx, four, 0)
	if err != nil {
		return nil, err
	}
	sides := []pipeSide{
		{name: pipeRedisCLI, c: one, meter: m1, args: []string{"redis-cli", "-h", host, "-p", port, "--pipe"},
			env: []string{"REDISCLI_AUTH=" + password}},
		{name: pipeRoma1, c: one, meter: m1, args: []string{roma, "cli", "-c", one.dir, "--pipe"},
			env: []string{"ROMA_VAR_redis_password=" + password}},
		{name: pipeRoma4, c: four, meter: m4, args: []string{roma, "cli", "-c", four.dir, "--pipe"},
			env: []string{"ROMA_VAR_redis_password=" + password}},
	}
	res := &pipeResult{times: map[string][]time.Duration{}, cpu: map[string][]cpuUse{}}
	for _, s := range sides {
		res.sides = append(res.sides, s.name)
	}
	for _, s := range sides { // warm-up, unrecorded: page cache, servers
		if _, _, err := runPipe(ctx, s, file, keys, val, o.pipeCmds); err != nil {
			return nil, fmt.Errorf("%s, warm-up: %w", s.name, err)
		}
	}
	for r := range o.pipeRuns {
		for k := range sides {
			s := sides[(k+r)%len(sides)]
			d, u, err := runPipe(ctx, s, file, keys, val, o.pipeCmds)
			if err != nil {
				return nil, fmt.Errorf("%s, run %d: %w", s.name, r+1, err)
			}
			res.times[s.name] = append(res.times[s.name], d)
			res.cpu[s.name] = append(res.cpu[s.name], u)
			if o.verbose {
				fmt.Printf("   --pipe  run %d  %-30s  %s  CPU: command %s, redis %s\n", r+1, s.name, fmtSeconds(d), fmtSeconds(u.client), fmtSeconds(u.servers))
			}
		}
	}
	return res, nil
}

// writePipeFile writes n SET commands in RESP: keys pipe:000000000 ..., all
// with the same value. It returns the keys and the value.
func writePipeFile(path string, n, valueSize int) ([]string, string, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	val := pad("pipe-value:", valueSize)
	keys := make([]string, n)
	for i := range n {
		keys[i] = fmt.Sprintf("pipe:%09d", i)
		fmt.Fprintf(w, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(keys[i]), keys[i], len(val), val)
	}
	if err := w.Flush(); err != nil {
		return nil, "", err
	}
	return keys, val, f.Close()
}

// runPipe flushes s's cluster, times s's command with the file on its
// standard input, and checks its output, the masters' key counts and every
// value. It returns the time, the command's CPU time and the servers'.
func runPipe(ctx context.Context, s pipeSide, file string, keys []string, val string, n int) (time.Duration, cpuUse, error) {
	var u cpuUse
	if err := s.c.flush(ctx); err != nil {
		return 0, u, err
	}
	in, err := os.Open(file)
	if err != nil {
		return 0, u, err
	}
	defer in.Close()
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, s.args[0], s.args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = in, &out, &errOut
	cmd.Env = append(os.Environ(), s.env...)
	u0 := s.meter.read()
	start := time.Now()
	err = cmd.Run()
	d := time.Since(start)
	u.servers = s.meter.read().sub(u0).servers
	if cmd.ProcessState != nil {
		u.client = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		return 0, u, fmt.Errorf("%v: %s %s", err, tail(out.String(), 400), tail(errOut.String(), 400))
	}
	m := countsLine.FindStringSubmatch(out.String())
	if m == nil {
		return 0, u, fmt.Errorf("no \"errors: E, replies: R\" line in its output: %s", tail(out.String(), 400))
	}
	if errs, _ := strconv.Atoi(m[1]); errs != 0 {
		return 0, u, fmt.Errorf("%s errors: %s", m[1], tail(errOut.String()+out.String(), 400))
	}
	if replies, _ := strconv.Atoi(m[2]); replies != n {
		return 0, u, fmt.Errorf("%d replies, want %d", replies, n)
	}
	return d, u, checkPipe(ctx, s.c, keys, val)
}

// checkPipe checks that c's masters hold exactly keys, each on the master
// of its partition, all with value val.
func checkPipe(ctx context.Context, c *benchCluster, keys []string, val string) error {
	want := make([]int64, len(c.masters))
	for _, k := range keys {
		want[c.partition(k)]++
	}
	sizes, err := c.dbsizes(ctx)
	if err != nil {
		return err
	}
	for p, n := range sizes {
		if n != want[p] {
			return fmt.Errorf("the master of partition %d (%s) holds %d keys, want %d", p, c.addrs[p], n, want[p])
		}
	}
	const chunk = 20000
	for lo := 0; lo < len(keys); lo += chunk {
		pipes := make([]redis.Pipeliner, len(c.masters))
		for p, m := range c.masters {
			pipes[p] = m.Pipeline()
		}
		cmds := make([]*redis.StringCmd, 0, chunk)
		for _, k := range keys[lo:min(lo+chunk, len(keys))] {
			cmds = append(cmds, pipes[c.partition(k)].Get(ctx, k))
		}
		for _, p := range pipes {
			_, _ = p.Exec(ctx)
		}
		for i, cmd := range cmds {
			if v, err := cmd.Result(); err != nil || v != val {
				return fmt.Errorf("key %s: %q, %v; want %q", keys[lo+i], v, err, val)
			}
		}
	}
	return nil
}
