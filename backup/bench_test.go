package backup

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/providers/store"
	"github.com/roma-redis/roma/redisinfo"
)

// BenchmarkBackup4x250MB times roma's parallel backup of 4 partitions of
// about 250 MB of RDB each (uncompressed, so the RDB is as large as the
// data) against redis-cli --rdb of the same nodes one after another, and
// reports the CPU each side used: roma's own process, redis-cli, and the
// Redis servers with their forked children. ROMA_BENCH_MB changes the
// size per partition.
//
//	go test ./backup -run '^$' -bench Backup4x250MB -benchtime 1x
func BenchmarkBackup4x250MB(b *testing.B) {
	mb := 250
	if v, err := strconv.Atoi(os.Getenv("ROMA_BENCH_MB")); err == nil && v > 0 {
		mb = v
	}
	b.StopTimer()
	tc := &testCluster{spec: newSpec(4)}
	for p := range 4 {
		r := startRedis(b, testPassword, "--rdbcompression", "no")
		tc.spec.Nodes[p].Port = r.Port
		tc.nodes = append(tc.nodes, []*testRedis{r})
		keys := mb * 1e6 / 115 // ~115 bytes of RDB per key of 100 bytes
		r.do(b, "DEBUG", "POPULATE", keys, "key", 100)
	}
	dir := b.TempDir()
	if d := os.Getenv("ROMA_BENCH_DIR"); d != "" {
		dir = d // a tmpfs takes the disk out of the measure
	}
	var rdbBytes int64
	for i := 0; i < b.N; i++ {
		// roma: every partition at once.
		cpu0, srv0 := selfCPU(), serversCPU(tc)
		t0 := time.Now()
		b.StartTimer()
		m, err := Run(context.Background(), tc.spec, store.Dir(dir), Options{})
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		roma, romaCPU, romaSrv := time.Since(t0), selfCPU()-cpu0, serversCPU(tc)-srv0
		rdbBytes = m.Size()
		os.RemoveAll(filepath.Join(dir, "shop"))

		// redis-cli --rdb, one node after the other.
		cli0, srv0 := childCPU(), serversCPU(tc)
		t0 = time.Now()
		if err := cliRDB(tc, dir, false); err != nil {
			b.Fatal(err)
		}
		seq, cliCPU, cliSrv := time.Since(t0), childCPU()-cli0, serversCPU(tc)-srv0

		// redis-cli --rdb, all at once: the leanest client there is, in
		// parallel. Its time is the floor any parallel backup meets on
		// this machine (information).
		cli0, srv0 = childCPU(), serversCPU(tc)
		t0 = time.Now()
		if err := cliRDB(tc, dir, true); err != nil {
			b.Fatal(err)
		}
		par, parCPU, parSrv := time.Since(t0), childCPU()-cli0, serversCPU(tc)-srv0
		b.ReportMetric(roma.Seconds(), "roma-s")
		b.ReportMetric(seq.Seconds(), "redis-cli-seq-s")
		b.ReportMetric(roma.Seconds()/seq.Seconds(), "ratio")
		b.ReportMetric(par.Seconds()/seq.Seconds(), "floor-ratio")
		b.Logf("%d partitions, %.0f MB of RDB in all; %d CPUs", len(tc.nodes), float64(rdbBytes)/1e6, numCPU())
		b.Logf("roma backup (parallel):    %6.2fs wall; CPU: roma %5.2fs, redis servers+forks %5.2fs", roma.Seconds(), romaCPU.Seconds(), romaSrv.Seconds())
		b.Logf("redis-cli --rdb (one by one): %6.2fs wall; CPU: redis-cli %5.2fs, redis servers+forks %5.2fs", seq.Seconds(), cliCPU.Seconds(), cliSrv.Seconds())
		b.Logf("redis-cli --rdb (all at once):  %6.2fs wall; CPU: redis-cli %5.2fs, redis servers+forks %5.2fs (information: the floor of any parallel client here, ratio %.2f)",
			par.Seconds(), parCPU.Seconds(), parSrv.Seconds(), par.Seconds()/seq.Seconds())
		b.Logf("ratio %.2f (target at most 0.6)", roma.Seconds()/seq.Seconds())
	}
	b.SetBytes(rdbBytes)
}

// cliRDB fetches every partition's RDB into dir with redis-cli --rdb, one
// node after the other or all at once, and removes the files.
func cliRDB(tc *testCluster, dir string, atOnce bool) error {
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for p, part := range tc.nodes {
		file := filepath.Join(dir, fmt.Sprintf("cli-%d.rdb", p))
		defer os.Remove(file)
		cmd := exec.Command("redis-cli", "-h", "127.0.0.1", "-p", strconv.Itoa(part[0].Port), "--no-auth-warning", "-a", testPassword, "--rdb", file)
		out := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			return err
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
		if !atOnce {
			if err := cmd.Wait(); err != nil {
				return fmt.Errorf("redis-cli --rdb: %v\n%s", err, out)
			}
			os.Remove(file) // one file on disk at a time
		}
	}
	if atOnce {
		for i, cmd := range cmds {
			if err := cmd.Wait(); err != nil {
				return fmt.Errorf("redis-cli --rdb (all at once): %v\n%s", err, outs[i])
			}
		}
	}
	return nil
}

func newSpec(partitions int) *cluster.Spec {
	s := &cluster.Spec{Name: "shop", Partitions: partitions, Hash: "jump", Password: cluster.NewSecret(testPassword),
		Hosts: []cluster.Host{{Name: "h1", Address: "127.0.0.1"}}}
	for p := range partitions {
		s.Nodes = append(s.Nodes, cluster.Node{Name: fmt.Sprintf("p%d-n0", p), Host: "h1", Partition: p})
	}
	return s
}

func selfCPU() time.Duration  { return rusage(syscall.RUSAGE_SELF) }
func childCPU() time.Duration { return rusage(syscall.RUSAGE_CHILDREN) }

func rusage(who int) time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(who, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serversCPU is the CPU the Redis servers used, with the children (the
// forked snapshots) they reaped: utime+stime+cutime+cstime.
func serversCPU(tc *testCluster) time.Duration {
	var ticks int64
	for _, part := range tc.nodes {
		pid := part[0].pid()
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		for _, i := range []int{11, 12, 13, 14} { // fields 14-17 of stat, counted from state (field 3)
			v, _ := strconv.ParseInt(f[i], 10, 64)
			ticks += v
		}
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}

func (r *testRedis) pid() int {
	v := redisinfo.Parse(r.Info(context.Background(), "server").Val())["process_id"]
	n, _ := strconv.Atoi(v)
	return n
}

func numCPU() int {
	n, _ := exec.Command("nproc").Output()
	v, _ := strconv.Atoi(strings.TrimSpace(string(n)))
	return v
}
