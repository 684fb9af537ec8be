package restore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/apply"
	"github.com/roma-redis/roma/backup"
	"github.com/roma-redis/roma/backup/restore"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/plan"
	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/providers/store"
	"github.com/roma-redis/roma/remote"
	"github.com/roma-redis/roma/status"
)

func TestMain(m *testing.M) {
	code := plantest.Main(m, lab.Options{Hosts: 4})
	if shared.dir != "" {
		os.RemoveAll(shared.dir) // it was left in /tmp by every run
	}
	os.Exit(code)
}

// body is the lab cluster's extra config: every data node keeps an
// append-only file (so restore must set it aside), three status nodes,
// romad on three hosts, backups on db4.
const body = `
status "st2" {
  host = "db1"
  port = 7101
}

status "st3" {
  host = "db2"
  port = 7102
}

romad {
  hosts      = ["db1", "db2", "db3"]
  down_after = "2s"
  http_port  = 9640
}

backup {
  every = "1h"
  keep  = 3
  host  = "db4"
  dir   = "/var/lib/roma/backups"
}
`

var shared struct {
	once sync.Once
	dir  string // the lab cluster's roma.hcl is there
	spec *cluster.Spec
	err  error
}

// cluster applies the lab cluster once: 4 partitions of 2 nodes, AOF on.
func labCluster(t testing.TB) *cluster.Spec {
	t.Helper()
	l := lab.Shared(t)
	t.Cleanup(func() {
		if t.Failed() {
			l.LogTails(t, 40) // what romad and the nodes did
		}
	})
	shared.once.Do(func() {
		text := plantest.ConfigText(l, 4, body)
		text = strings.Replace(text, `maxmemory-policy = "allkeys-lru"`, "maxmemory-policy = \"noeviction\"\n    appendonly       = \"yes\"", 1)
		dir, err := os.MkdirTemp("", "restore-lab-")
		if err != nil {
			shared.err = err
			return
		}
		shared.dir = dir
		if err := os.WriteFile(filepath.Join(dir, "roma.hcl"), []byte(text), 0o644); err != nil {
			shared.err = err
			return
		}
		spec := plantest.Load(t, dir)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		p := plan.Diff(spec, plan.Observer{Dial: plantest.Dial}.Observe(ctx, spec), plan.Options{})
		if _, err := apply.Apply(ctx, spec, p, apply.Options{Dial: plantest.Dial}); err != nil {
			shared.err = fmt.Errorf("apply: %w", err)
			return
		}
		shared.spec = spec
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	waitStatus(t, shared.spec, "OK", func(s *status.Status) bool { return s.State == status.OK })
	return shared.spec
}

func statusClients(spec *cluster.Spec) map[string]*redis.Client {
	out := map[string]*redis.Client{}
	for _, s := range spec.Status {
		out[spec.Addr(s.Host, s.Port)] = plantest.Client(spec, s.Host, s.Port)
	}
	return out
}

func readStatus(spec *cluster.Spec) *status.Status {
	cs := statusClients(spec)
	defer func() {
		for _, c := range cs {
			c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	r := status.ReadMajority(ctx, cs, spec.Name)
	if !r.Majority {
		return nil
	}
	return r.Status
}

func waitStatus(t testing.TB, spec *cluster.Spec, what string, cond func(*status.Status) bool) *status.Status {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last *status.Status
	for time.Now().Before(deadline) {
		if s := readStatus(spec); s != nil {
			last = s
			if cond(s) {
				return s
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("status %s: not within 30s (last %+v)", what, last)
	return nil
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func backupStore(t testing.TB, spec *cluster.Spec) store.Store {
	t.Helper()
	st, closer, err := store.Connect(testCtx(t), spec, store.Declared(spec), plantest.Dial)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closer.Close() })
	return st
}

// masters returns each partition's master by the published status.
func masters(t testing.TB, spec *cluster.Spec) []string {
	s := waitStatus(t, spec, "every partition has a master", func(s *status.Status) bool {
		for _, p := range s.Partitions {
			if p.Master == "" {
				return false
			}
		}
		return true
	})
	var out []string
	for _, p := range s.Partitions {
		out = append(out, p.Master)
	}
	return out
}

// write fills partition p's master with a known dataset: every type of
// value, and keys with TTLs.
func write(t testing.TB, c *redis.Client, p int, tag string) {
	t.Helper()
	ctx := context.Background()
	pipe := c.Pipeline()
	for i := range 50 {
		k := func(kind string) string { return fmt.Sprintf("%s:%d:%s:%d", tag, p, kind, i) }
		pipe.Set(ctx, k("str"), fmt.Sprintf("v%d", i), 0)
		pipe.HSet(ctx, k("hash"), "a", i, "b", "x")
		pipe.RPush(ctx, k("list"), "x", i, "z")
		pipe.SAdd(ctx, k("set"), "m1", "m2", i)
		pipe.ZAdd(ctx, k("zset"), redis.Z{Score: float64(i) / 3, Member: "a"}, redis.Z{Score: -1, Member: "b"})
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: k("stream"), ID: fmt.Sprintf("%d-1", i+1), Values: []any{"f", i}})
		pipe.Set(ctx, k("ttl"), i, time.Duration(i+10)*time.Minute)
		pipe.HSet(ctx, k("hashttl"), "f", i)
		pipe.Expire(ctx, k("hashttl"), time.Hour)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatalf("writing partition %d: %v", p, err)
	}
}

// dataset reads every key of a node canonically: its type, its value and
// its absolute expire time (PEXPIRETIME, preserved by an RDB).
func dataset(t testing.TB, c *redis.Client) map[string]string {
	t.Helper()
	ctx := context.Background()
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatalf("KEYS: %v", err)
	}
	out := map[string]string{}
	for _, k := range keys {
		typ := c.Type(ctx, k).Val()
		var v any
		switch typ {
		case "string":
			v = c.Get(ctx, k).Val()
		case "hash":
			v = c.HGetAll(ctx, k).Val()
		case "list":
			v = c.LRange(ctx, k, 0, -1).Val()
		case "set":
			m := c.SMembers(ctx, k).Val()
			sort.Strings(m)
			v = m
		case "zset":
			v = c.ZRangeWithScores(ctx, k, 0, -1).Val()
		case "stream":
			v = c.XRange(ctx, k, "-", "+").Val()
		}
		exp := c.Do(ctx, "PEXPIRETIME", k).Val()
		out[k] = fmt.Sprintf("%s %v expire=%v", typ, v, exp)
	}
	return out
}

// snapshot reads every node's dataset.
func snapshot(t testing.TB, spec *cluster.Spec) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, n := range spec.Nodes {
		c := plantest.NodeClient(spec, n.Name)
		out[n.Name] = dataset(t, c)
		c.Close()
	}
	return out
}

func runIDs(t testing.TB, spec *cluster.Spec) map[string]string {
	out := map[string]string{}
	for _, n := range spec.Nodes {
		c := plantest.NodeClient(spec, n.Name)
		info := c.Info(context.Background(), "server").Val()
		c.Close()
		for _, l := range strings.Split(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(l), "run_id:"); ok {
				out[n.Name] = v
			}
		}
	}
	return out
}

// waitReplicas waits until every replica has its master's offset, so
// that a snapshot of the nodes compares like with like.
func waitReplicas(t testing.TB, spec *cluster.Spec) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, m := range masters(t, spec) {
		mc := plantest.NodeClient(spec, m)
		want := infoField(mc, "replication", "master_repl_offset")
		mc.Close()
		n, _ := spec.Node(m)
		for _, r := range spec.PartitionNodes(n.Partition) {
			if r.Name == m {
				continue
			}
			rc := plantest.NodeClient(spec, r.Name)
			for infoField(rc, "replication", "slave_repl_offset") < want || infoField(rc, "replication", "master_link_status") != "up" {
				if time.Now().After(deadline) {
					t.Fatalf("replica %s does not catch up with %s: %q %q\n%s", r.Name, m, want, infoField(rc, "replication", "slave_repl_offset"), rc.Info(context.Background(), "replication").Val())
				}
				time.Sleep(50 * time.Millisecond)
			}
			rc.Close()
		}
	}
}

func infoField(c *redis.Client, section, field string) string {
	info := c.Info(context.Background(), section).Val()
	for _, l := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), field+":"); ok {
			if field == "master_repl_offset" || field == "slave_repl_offset" {
				return fmt.Sprintf("%020s", v) // zero-padded: compares as numbers
			}
			return v
		}
	}
	return ""
}

// TestRestoreRoundTrip: a known dataset of every type across 4
// partitions (with romad running) is backed up, flushed and overwritten,
// restored, and read back identical from every master and replica, TTLs
// included; the partitions keep their masters, and the append-only files
// are rewritten from the restored data.
func TestRestoreRoundTrip(t *testing.T) {
	spec := labCluster(t)
	ctx := testCtx(t)
	ms := masters(t, spec)
	for p, m := range ms {
		c := plantest.NodeClient(spec, m)
		c.FlushAll(ctx)
		write(t, c, p, "known")
		c.Close()
	}
	waitReplicas(t, spec)
	before := snapshot(t, spec)
	st := backupStore(t, spec)
	m, err := backup.Run(ctx, spec, st, backup.Options{Consistent: true})
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	t.Logf("backup %s: %d keys, %d bytes, writes paused %.2f ms", m.ID, m.Keys(), m.Size(), m.PausedMS)

	// Overwrite everything: flush, and write other keys.
	for p, mn := range ms {
		c := plantest.NodeClient(spec, mn)
		c.FlushAll(ctx)
		write(t, c, p, "later")
		c.Close()
	}
	epochBefore := readStatus(spec).Epoch

	plan, err := restore.Prepare(ctx, spec, st, m.ID, nil)
	if err != nil {
		t.Fatalf("prepare: %v", err)
	}
	var out strings.Builder
	restore.WritePlan(&out, plan)
	for p, mn := range ms {
		if plan.Partitions[p].Master.Name != mn {
			t.Errorf("partition %d: the plan restores into %s, the status's master is %s", p, plan.Partitions[p].Master.Name, mn)
		}
	}
	if !strings.Contains(out.String(), "gets the backup and comes up master (its append-only file is replaced)") {
		t.Errorf("plan:\n%s", out.String())
	}
	var events []string
	res, err := restore.Run(ctx, spec, st, plan, restore.Options{Dial: plantest.Dial, Report: func(e restore.Event) {
		events = append(events, fmt.Sprintf("%d %s %s", e.Partition, e.Node, e.Message))
	}})
	t.Logf("restore events:\n%s", strings.Join(events, "\n"))
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if diff := cmp.Diff([]int{0, 1, 2, 3}, res.Restored); diff != "" || len(res.Warnings) > 0 {
		t.Errorf("restored (-want +got):\n%s; warnings %v", diff, res.Warnings)
	}
	waitReplicas(t, spec)
	after := snapshot(t, spec)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("data after restore (-before +after):\n%.3000s", diff)
	}
	if got := masters(t, spec); !cmp.Equal(got, ms) {
		t.Errorf("masters %v after restore, %v before", got, ms)
	}
	st2 := waitStatus(t, spec, "OK after restore", func(s *status.Status) bool { return s.State == status.OK && !s.Maintenance })
	t.Logf("epoch %d before restore, %d after", epochBefore, st2.Epoch)
	// Every node runs with its append-only file again, rewritten.
	for _, n := range spec.Nodes {
		c := plantest.NodeClient(spec, n.Name)
		if v := strings.TrimLeft(infoField(c, "persistence", "aof_enabled"), "0"); v != "1" {
			t.Errorf("%s: aof_enabled %q after restore", n.Name, v)
		}
		c.Close()
	}
}

// TestRestoreRefusals: a backup taken with another partition count or
// hash function, or of another cluster, or with a damaged file, is
// refused before any node is touched.
func TestRestoreRefusals(t *testing.T) {
	spec := labCluster(t)
	ctx := testCtx(t)
	st := backupStore(t, spec)
	m, err := backup.Run(ctx, spec, st, backup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ids := runIDs(t, spec)
	other := func(f func(*cluster.Spec)) *cluster.Spec {
		s := *spec
		f(&s)
		return &s
	}
	h := st.(*store.Host)
	dir := path.Join(h.Dir, backup.Dir(spec.Name, m.ID))
	tests := map[string]struct {
		spec   *cluster.Spec
		damage func(t *testing.T) func()
		want   error
		msg    string
	}{
		"partition count": {spec: other(func(s *cluster.Spec) { s.Partitions = 3 }), want: backup.ErrLayout, msg: "has 4 partitions, roma.hcl declares 3"},
		"hash function":   {spec: other(func(s *cluster.Spec) { s.Hash = "modulo" }), want: backup.ErrLayout, msg: `hash function "jump", roma.hcl declares "modulo"`},
		"flipped byte": {damage: func(t *testing.T) func() {
			return rewrite(t, h.T, path.Join(dir, backup.FileName(2)), func(b []byte) []byte { b[len(b)/2] ^= 4; return b })
		}, want: backup.ErrChecksum, msg: "partition 2 (partition-2.rdb): RDB checksum mismatch"},
		"truncated": {damage: func(t *testing.T) func() {
			return rewrite(t, h.T, path.Join(dir, backup.FileName(1)), func(b []byte) []byte { return b[:len(b)-20] })
		}, msg: "partition 1 (partition-1.rdb): truncated"},
		"missing file": {damage: func(t *testing.T) func() {
			undo := rewrite(t, h.T, path.Join(dir, backup.FileName(3)), func(b []byte) []byte { return b })
			if err := h.T.Remove(ctx, path.Join(dir, backup.FileName(3))); err != nil {
				t.Fatal(err)
			}
			return undo
		}, msg: "partition 3 (partition-3.rdb): the file is missing"},
		// Partition 0's master removed from roma.hcl, not yet by apply:
		// it still serves, and restore would leave it so.
		"master not in roma.hcl": {spec: other(func(s *cluster.Spec) {
			s.Nodes = slices.DeleteFunc(slices.Clone(s.Nodes), func(n cluster.Node) bool { return n.Name == spec.PartitionNodes(0)[0].Name })
		}), msg: "partition 0: its master at " + spec.Addr(spec.PartitionNodes(0)[0].Host, spec.PartitionNodes(0)[0].Port) + " is a node roma.hcl does not declare"},
		"manifest of another cluster": {damage: func(t *testing.T) func() {
			return rewrite(t, h.T, path.Join(dir, backup.ManifestName), func(b []byte) []byte {
				return []byte(strings.Replace(string(b), `"cluster": "labtest"`, `"cluster": "elsewhere"`, 1))
			})
		}, want: backup.ErrOtherCluster, msg: `names cluster "elsewhere"`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s := spec
			if tt.spec != nil {
				s = tt.spec
			}
			if tt.damage != nil {
				defer tt.damage(t)()
			}
			_, err := restore.Prepare(ctx, s, st, m.ID, nil)
			var ref *restore.Refusal
			if !errors.As(err, &ref) || (tt.want != nil && !errors.Is(err, tt.want)) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("prepare: %v; want a refusal with %q", err, tt.msg)
			}
		})
	}
	if diff := cmp.Diff(ids, runIDs(t, spec)); diff != "" {
		t.Errorf("a node restarted (-before +after run_id):\n%s", diff)
	}
}

// TestRestoreStagingFails: a file that changes after it was verified
// fails staging, and no node is touched.
func TestRestoreStagingFails(t *testing.T) {
	spec := labCluster(t)
	ctx := testCtx(t)
	st := backupStore(t, spec)
	m, err := backup.Run(ctx, spec, st, backup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := restore.Prepare(ctx, spec, st, m.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := runIDs(t, spec)
	h := st.(*store.Host)
	undo := rewrite(t, h.T, path.Join(h.Dir, backup.Dir(spec.Name, m.ID), backup.FileName(1)), func(b []byte) []byte { b[100] ^= 1; return b })
	defer undo()
	res, err := restore.Run(ctx, spec, st, plan, restore.Options{Dial: plantest.Dial})
	if err == nil || !strings.Contains(err.Error(), "staging failed, so no node was touched") || !strings.Contains(err.Error(), "changed since it was verified") {
		t.Fatalf("restore: %v", err)
	}
	if diff := cmp.Diff([]int{0, 1, 2, 3}, res.Untouched); diff != "" || len(res.Restored) > 0 {
		t.Errorf("untouched (-want +got):\n%s; restored %v", diff, res.Restored)
	}
	if diff := cmp.Diff(ids, runIDs(t, spec)); diff != "" {
		t.Errorf("a node restarted (-before +after run_id):\n%s", diff)
	}
	// No staged file is left behind.
	for _, pp := range plan.Partitions {
		n, _ := spec.Node(pp.Master.Name)
		hh, _ := spec.Host(n.Host)
		tr, err := plantest.Dial(ctx, hh)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Stat(ctx, path.Join(cluster.LayoutOf(hh).Data(n.Name), "dump.rdb.roma-restore")); err == nil {
			t.Errorf("a staged file stays on %s", hh.Name)
		}
		tr.Close()
	}
}

// TestRestoreInterruptedConverges: a restore interrupted once the first
// partition's nodes are stopped reports what it touched; running it
// again restores everything.
func TestRestoreInterruptedConverges(t *testing.T) {
	spec := labCluster(t)
	ctx := testCtx(t)
	ms := masters(t, spec)
	for p, mn := range ms {
		c := plantest.NodeClient(spec, mn)
		c.FlushAll(ctx)
		write(t, c, p, "again")
		c.Close()
	}
	waitReplicas(t, spec)
	before := snapshot(t, spec)
	st := backupStore(t, spec)
	m, err := backup.Run(ctx, spec, st, backup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, mn := range ms {
		c := plantest.NodeClient(spec, mn)
		c.FlushAll(ctx)
		c.Close()
	}
	plan, err := restore.Prepare(ctx, spec, st, m.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	var once sync.Once
	res, err := restore.Run(rctx, spec, st, plan, restore.Options{Dial: plantest.Dial, Report: func(e restore.Event) {
		if strings.HasPrefix(e.Message, "stopped") {
			once.Do(cancel)
		}
	}})
	cancel()
	if err == nil || len(res.Failed) == 0 {
		t.Fatalf("interrupted restore: %v, %+v", err, res)
	}
	t.Logf("interrupted: restored %v, failed %v, untouched %v", res.Restored, res.Failed, res.Untouched)

	plan, err = restore.Prepare(ctx, spec, st, m.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err = restore.Run(ctx, spec, st, plan, restore.Options{Dial: plantest.Dial})
	if err != nil || len(res.Restored) != 4 {
		t.Fatalf("second restore: %v, restored %v", err, res.Restored)
	}
	waitReplicas(t, spec)
	if diff := cmp.Diff(before, snapshot(t, spec)); diff != "" {
		t.Errorf("data after the second restore (-want +got):\n%.3000s", diff)
	}
	waitStatus(t, spec, "OK", func(s *status.Status) bool { return s.State == status.OK })
}

// rewrite changes a file on a host and returns how to put it back.
func rewrite(t *testing.T, tr remote.Transport, p string, f func([]byte) []byte) func() {
	t.Helper()
	ctx := context.Background()
	orig, err := tr.ReadFile(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.WriteFile(ctx, p, f(append([]byte(nil), orig...)), 0o640); err != nil {
		t.Fatal(err)
	}
	return func() {
		if err := tr.WriteFile(ctx, p, orig, 0o640); err != nil {
			t.Errorf("putting %s back: %v", p, err)
		}
	}
}

// TestRestoreOutlastsDownAfter: a restore whose partitions stay down
// longer than romad's down_after still ends with the backup's data on
// every node and the planned masters, and romad never publishes HALT:
// not during the restore (maintenance), and not after it, when the
// restored masters are up. romad's probes used to see a master that was
// back as down for up to a second more (go-redis's pool answering with
// its last dial error): once maintenance was lifted, romad declared the
// partition in HALT, then promoted a node again.
func TestRestoreOutlastsDownAfter(t *testing.T) {
	spec := labCluster(t)
	ctx := testCtx(t)
	ms := masters(t, spec)
	for p, mn := range ms {
		c := plantest.NodeClient(spec, mn)
		c.FlushAll(ctx)
		write(t, c, p, "slow")
		c.Close()
	}
	waitReplicas(t, spec)
	before := snapshot(t, spec)
	st := backupStore(t, spec)
	m, err := backup.Run(ctx, spec, st, backup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := restore.Prepare(ctx, spec, st, m.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	epoch := readStatus(spec).Epoch
	// Every status published from here to the end, as read by a client.
	var mu sync.Mutex
	var halts []string
	sawMaint := false
	stopWatch := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			if s := readStatus(spec); s != nil {
				mu.Lock()
				sawMaint = sawMaint || s.Maintenance
				if s.State == status.Halt {
					halts = append(halts, fmt.Sprintf("epoch %d at %s", s.Epoch, time.Now().Format("15:04:05.000")))
				}
				mu.Unlock()
			}
			select {
			case <-stopWatch:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	// The maintenance key names the partitions the restore changes:
	// romad ends a HALT wait at its end for those alone.
	var maint status.Maintenance
	restore.SetStoppedHook(func(p int) {
		if p == 0 {
			sc := plantest.Client(spec, spec.Status[0].Host, spec.Status[0].Port)
			if v, err := sc.Get(ctx, status.MaintenanceKey(spec.Name)).Result(); err != nil || json.Unmarshal([]byte(v), &maint) != nil {
				t.Errorf("the maintenance key during the restore: %q, %v", v, err)
			}
			sc.Close()
			time.Sleep(4 * time.Second) // down_after is 2s
		}
	})
	defer restore.SetStoppedHook(nil)
	if _, err := restore.Run(ctx, spec, st, plan, restore.Options{Dial: plantest.Dial}); err != nil {
		close(stopWatch)
		t.Fatalf("restore: %v", err)
	}
	var want []int
	for _, pp := range plan.Partitions {
		want = append(want, pp.P)
	}
	if diff := cmp.Diff(want, maint.Partitions); diff != "" || !strings.HasPrefix(maint.Operation, "restore ") {
		t.Errorf("the maintenance key during the restore: operation %q, partitions (-want +got):\n%s", maint.Operation, diff)
	}
	waitReplicas(t, spec)
	if diff := cmp.Diff(before, snapshot(t, spec)); diff != "" {
		t.Errorf("data after restore (-want +got):\n%.3000s", diff)
	}
	if got := masters(t, spec); !cmp.Equal(got, ms) {
		t.Errorf("masters %v after restore, %v before", got, ms)
	}
	s := waitStatus(t, spec, "OK", func(s *status.Status) bool { return s.State == status.OK })
	time.Sleep(time.Second) // romad acts within a few probes of the maintenance's end
	close(stopWatch)
	<-watched
	if !sawMaint {
		t.Errorf("the published status never said maintenance during the restore")
	}
	if len(halts) > 0 {
		t.Errorf("HALT published %d times during or after the restore (%s), though every restored master was up once the maintenance ended", len(halts), strings.Join(halts, ", "))
	}
	t.Logf("partition 0 down 4s in maintenance; epoch %d -> %d", epoch, s.Epoch)
}
