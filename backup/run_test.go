package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/providers/store"
	"github.com/roma-redis/roma/redisinfo"
)

const testPassword = "test-Secret-99"

// testCluster is a cluster of redis-servers on 127.0.0.1 that tests
// start: nodes[p] lists partition p's servers, the first one master.
type testCluster struct {
	spec  *cluster.Spec
	nodes [][]*testRedis
}

// newTestCluster starts a cluster: per partition, a master and replicas
// extra nodes, each started with args.
func newTestCluster(t *testing.T, replicas []int, args ...string) *testCluster {
	t.Helper()
	c := &testCluster{spec: &cluster.Spec{Name: "shop", Partitions: len(replicas), Hash: "jump",
		Password: cluster.NewSecret(testPassword), Hosts: []cluster.Host{{Name: "h1", Address: "127.0.0.1"}}}}
	for p, nr := range replicas {
		var part []*testRedis
		for i := 0; i <= nr; i++ {
			r := startRedis(t, testPassword, args...)
			part = append(part, r)
			c.spec.Nodes = append(c.spec.Nodes, cluster.Node{Name: fmt.Sprintf("p%d-n%d", p, i), Host: "h1", Port: r.Port, Partition: p})
			if i > 0 {
				r.do(t, "REPLICAOF", "127.0.0.1", part[0].Port)
			}
		}
		c.nodes = append(c.nodes, part)
	}
	for _, part := range c.nodes {
		for _, r := range part[1:] {
			waitSync(t, r)
		}
	}
	return c
}

func waitSync(t *testing.T, r *testRedis) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		info := r.Info(context.Background(), "replication").Val()
		if strings.Contains(info, "master_link_status:up") && strings.Contains(info, "master_sync_in_progress:0") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica %s not in sync: %s", r.Addr, info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitOffset waits until every replica has the master's offset.
func (c *testCluster) settle(t *testing.T) {
	t.Helper()
	for _, part := range c.nodes {
		want := redisinfo.Parse(part[0].Info(context.Background(), "replication").Val())["master_repl_offset"]
		for _, r := range part[1:] {
			deadline := time.Now().Add(10 * time.Second)
			for redisinfo.Parse(r.Info(context.Background(), "replication").Val())["slave_repl_offset"] < want {
				if time.Now().After(deadline) {
					t.Fatalf("replica %s does not catch up", r.Addr)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// logSays reports whether the server's log holds s.
func (r *testRedis) logSays(s string) bool {
	b, _ := os.ReadFile(filepath.Join(r.Dir, "redis.log"))
	return bytes.Contains(b, []byte(s))
}

// TestRunBothForms backs up a partition whose replica writes its RDB to
// disk first (the length-prefixed form) and one whose master, with no
// replica, sends it diskless (the EOF-marker form). Each file is stored,
// hashed, verified and counted; the manifest is written.
func TestRunBothForms(t *testing.T) {
	c := newTestCluster(t, []int{1, 0})
	c.nodes[0][0].fill(t, 30)
	c.nodes[1][0].fill(t, 10)
	c.nodes[0][1].do(t, "CONFIG", "SET", "repl-diskless-sync", "no")
	c.nodes[1][0].do(t, "CONFIG", "SET", "repl-diskless-sync", "yes")
	c.settle(t)
	st := store.Dir(t.TempDir())
	var events []string
	m, err := Run(testCtx(t), c.spec, st, Options{Progress: func(e Event) { events = append(events, e.Message) }})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if !c.nodes[0][1].logSays("Starting BGSAVE for SYNC with target: disk") {
		t.Error("partition 0's replica did not send from disk")
	}
	if !c.nodes[1][0].logSays("Starting BGSAVE for SYNC with target: replicas sockets") {
		t.Error("partition 1's master did not send diskless")
	}
	for p, want := range []struct {
		node, role string
		keys       int64
	}{{"p0-n1", "replica", c.nodes[0][0].keys(t)}, {"p1-n0", "master", c.nodes[1][0].keys(t)}} {
		f := m.Files[p]
		if f.Node != want.node || f.Role != want.role || f.Keys != want.keys || f.Size == 0 || len(f.SHA256) != 64 || f.RDBVersion < 10 || f.RedisVersion == "" {
			t.Errorf("partition %d: %+v; want from %s (%s) with %d keys", p, f, want.node, want.role, want.keys)
		}
	}
	if m.Consistent || m.PausedMS != 0 || m.Cluster != "shop" || m.Partitions != 2 || m.Hash != "jump" {
		t.Errorf("manifest %+v", m)
	}
	_, checks, err := Verify(testCtx(t), st, "shop", m.ID, time.Now())
	if err != nil || len(checks) != 2 {
		t.Fatalf("verify: %v (%d checks)", err, len(checks))
	}
	if all, _ := List(testCtx(t), st, "shop"); len(all) != 1 || !all[0].Complete() || all[0].Files != 2 {
		t.Errorf("list: %+v", all)
	}
	if !strings.Contains(strings.Join(events, "\n"), "from p0-n1, replica") {
		t.Errorf("progress:\n%s", strings.Join(events, "\n"))
	}
}

func (r *testRedis) keys(t testing.TB) int64 {
	return redisinfo.Parse(r.Info(context.Background(), "keyspace").Val()).TotalKeys()
}

// TestRunConsistent: under a writer that writes to partition 0 and then
// to partition 1, a consistent backup holds either both or neither of each
// pair (at most the one pair in flight when writes paused), and says how
// long writes were paused.
func TestRunConsistent(t *testing.T) {
	c := newTestCluster(t, []int{1, 1})
	c.nodes[0][0].fill(t, 200)
	c.settle(t)
	base := c.nodes[0][0].keys(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var written atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		ctx := context.Background()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if c.nodes[0][0].Set(ctx, fmt.Sprintf("w:%d", i), i, 0).Err() != nil ||
				c.nodes[1][0].Set(ctx, fmt.Sprintf("w:%d", i), i, 0).Err() != nil {
				return
			}
			written.Add(1)
		}
	}()
	time.Sleep(200 * time.Millisecond)
	st := store.Dir(t.TempDir())
	m, err := Run(testCtx(t), c.spec, st, Options{Consistent: true})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if !m.Consistent || m.PausedMS <= 0 || m.PausedMS > 2000 {
		t.Errorf("consistent %v, paused %.3f ms", m.Consistent, m.PausedMS)
	}
	w0 := m.Files[0].Keys - base
	w1 := m.Files[1].Keys
	if w0 != w1 && w0 != w1+1 {
		t.Errorf("partition 0 holds %d writes, partition 1 %d: not one point in time", w0, w1)
	}
	if w1 == 0 {
		t.Error("the writer wrote nothing before the backup")
	}
	t.Logf("paused %.3f ms; %d pairs in the backup, %d written in all", m.PausedMS, w1, written.Load())
}

// TestRunSnapshotNotHeldBack: roma's data nodes hold a full sync back 3s
// (repl-diskless-sync-delay); a consistent backup, whose writes stay
// paused until every snapshot is taken, does not wait for it: with a 5s
// delay and a 2s pause, it succeeds, and every node has its delay back.
func TestRunSnapshotNotHeldBack(t *testing.T) {
	c := newTestCluster(t, []int{1, 0})
	c.nodes[0][0].fill(t, 50)
	c.settle(t)
	for _, part := range c.nodes {
		for _, r := range part {
			r.do(t, "CONFIG", "SET", "repl-diskless-sync-delay", "5")
		}
	}
	m, err := Run(testCtx(t), c.spec, store.Dir(t.TempDir()), Options{Consistent: true, PauseTimeout: 2 * time.Second})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if !m.Consistent || len(m.Files) != 2 {
		t.Errorf("manifest: consistent %v, %d files", m.Consistent, len(m.Files))
	}
	for _, part := range c.nodes {
		for _, r := range part {
			if v := r.ConfigGet(context.Background(), "repl-diskless-sync-delay").Val()["repl-diskless-sync-delay"]; v != "5" {
				t.Errorf("%s: repl-diskless-sync-delay %q after the backup, want 5", r.Addr, v)
			}
		}
	}
}

// TestRunSourceDies: a source killed in the middle of its transfer fails
// the backup; nothing is left in the store, and no manifest is written.
func TestRunSourceDies(t *testing.T) {
	c := newTestCluster(t, []int{0, 0})
	c.nodes[0][0].fill(t, 20)
	c.nodes[1][0].fill(t, 20)
	// Slow the snapshot down: 2ms per key.
	c.nodes[1][0].do(t, "CONFIG", "SET", "rdb-key-save-delay", "2000")
	st := store.Dir(t.TempDir())
	go func() {
		time.Sleep(300 * time.Millisecond)
		c.nodes[1][0].Do(context.Background(), "SHUTDOWN", "NOSAVE")
	}()
	_, err := Run(testCtx(t), c.spec, st, Options{IdleTimeout: 5 * time.Second})
	if err == nil {
		t.Fatal("a backup whose source died succeeded")
	}
	if !strings.Contains(err.Error(), "partition 1 (from p1-n0)") {
		t.Errorf("error %q does not name the partition and node", err)
	}
	t.Logf("error: %v", err)
	all, _ := List(testCtx(t), st, "shop")
	if len(all) != 0 {
		t.Errorf("the store keeps %+v", all)
	}
}

// TestRunNoMaster: a partition without a master is no backup at all.
func TestRunNoMaster(t *testing.T) {
	c := newTestCluster(t, []int{1})
	c.nodes[0][0].do(t, "REPLICAOF", "127.0.0.1", "1") // the master now follows nothing reachable
	_, err := Run(testCtx(t), c.spec, store.Dir(t.TempDir()), Options{})
	if err == nil || !strings.Contains(err.Error(), "partition 0 has no master") {
		t.Fatalf("error %v, want partition 0 has no master", err)
	}
}

// TestRunUndeclaredMaster: a master removed from roma.hcl, not yet by
// apply, still serves; its declared replica follows it. The backup takes
// the replica's data, the master's keys all there, and a consistent
// backup pauses that master.
func TestRunUndeclaredMaster(t *testing.T) {
	for _, consistent := range []bool{false, true} {
		t.Run(fmt.Sprintf("consistent=%v", consistent), func(t *testing.T) {
			c := newTestCluster(t, []int{1})
			c.nodes[0][0].fill(t, 25)
			c.settle(t)
			c.spec.Nodes = c.spec.Nodes[1:] // p0-n0 removed from roma.hcl
			parts := Observe(testCtx(t), c.spec, Clients{Password: testPassword})
			master := fmt.Sprintf("127.0.0.1:%d", c.nodes[0][0].Port)
			if p := parts[0]; p.Master == nil || p.Master.Addr != master || p.Source == nil || p.Source.Node.Name != "p0-n1" || len(p.Undeclared) != 1 {
				t.Fatalf("partition 0: master %+v, source %+v, undeclared %+v; want the master at %s, the source p0-n1", p.Master, p.Source, p.Undeclared, master)
			}
			m, err := Run(testCtx(t), c.spec, store.Dir(t.TempDir()), Options{Consistent: consistent})
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if f := m.Files[0]; f.Node != "p0-n1" || f.Keys != c.nodes[0][0].keys(t) || m.Consistent != consistent {
				t.Errorf("file %+v, consistent %v; want p0-n1's %d keys", f, m.Consistent, c.nodes[0][0].keys(t))
			}
		})
	}
}

// recordingStore records the order in which files are committed.
type recordingStore struct {
	store.Store
	mu    sync.Mutex
	order []string
	fail  string // a name whose Put fails
}

func (r *recordingStore) Put(ctx context.Context, name string, rd io.Reader) error {
	if r.fail != "" && strings.HasSuffix(name, r.fail) {
		io.Copy(io.Discard, io.LimitReader(rd, 100))
		return errors.New("no space left on device (test)")
	}
	err := r.Store.Put(ctx, name, rd)
	r.mu.Lock()
	r.order = append(r.order, path.Base(name))
	r.mu.Unlock()
	return err
}

// TestManifestLast: the manifest is committed after every file; a store
// that fails a file keeps no manifest and no file.
func TestManifestLast(t *testing.T) {
	c := newTestCluster(t, []int{0, 0, 0})
	for _, p := range c.nodes {
		p[0].fill(t, 5)
	}
	rs := &recordingStore{Store: store.Dir(t.TempDir())}
	if _, err := Run(testCtx(t), c.spec, rs, Options{}); err != nil {
		t.Fatal(err)
	}
	if len(rs.order) != 4 || rs.order[3] != ManifestName {
		t.Errorf("commit order %v: the manifest must come last", rs.order)
	}
	rs = &recordingStore{Store: store.Dir(t.TempDir()), fail: "partition-1.rdb"}
	_, err := Run(testCtx(t), c.spec, rs, Options{})
	if err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("error %v, want the store's", err)
	}
	for _, n := range rs.order {
		if n == ManifestName {
			t.Error("a manifest was written for a failed backup")
		}
	}
	if all, _ := List(testCtx(t), rs, "shop"); len(all) != 0 {
		t.Errorf("the failed backup stays: %+v", all)
	}
}

// TestVerifyDamage: verify finds a flipped byte, a truncated file, a
// missing file and a manifest of another cluster.
func TestVerifyDamage(t *testing.T) {
	c := newTestCluster(t, []int{0, 0})
	c.nodes[0][0].fill(t, 10)
	c.nodes[1][0].fill(t, 10)
	dir := t.TempDir()
	st := store.Dir(dir)
	ctx := testCtx(t)
	m, err := Run(ctx, c.spec, st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	file := func(p int) string { return filepath.Join(dir, "shop", m.ID, FileName(p)) }
	orig, _ := os.ReadFile(file(1))
	tests := map[string]struct {
		damage func()
		want   string
	}{
		"flipped byte": {func() {
			b := bytes.Clone(orig)
			b[len(b)/2] ^= 1
			os.WriteFile(file(1), b, 0o640)
		}, "partition 1 (partition-1.rdb): RDB checksum mismatch"},
		"truncated": {func() { os.WriteFile(file(1), orig[:len(orig)-100], 0o640) }, "partition 1 (partition-1.rdb): truncated: "},
		"missing":   {func() { os.Remove(file(1)) }, "partition 1 (partition-1.rdb): the file is missing"},
		"bad magic": {func() { os.WriteFile(file(1), append([]byte("XEDIS"), orig[5:]...), 0o640) }, "not an RDB file"},
		"same size, other content": {func() {
			b := bytes.Clone(orig)
			b[10], b[11] = b[11], b[10]
			os.WriteFile(file(1), b, 0o640)
		}, "partition 1"},
		"other cluster": {func() {
			mb, _ := os.ReadFile(filepath.Join(dir, "shop", m.ID, ManifestName))
			os.WriteFile(filepath.Join(dir, "shop", m.ID, ManifestName), bytes.Replace(mb, []byte(`"cluster": "shop"`), []byte(`"cluster": "other"`), 1), 0o640)
		}, "backup of another cluster"},
	}
	mb, _ := os.ReadFile(filepath.Join(dir, "shop", m.ID, ManifestName))
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			tt.damage()
			defer os.WriteFile(file(1), orig, 0o640)
			defer os.WriteFile(filepath.Join(dir, "shop", m.ID, ManifestName), mb, 0o640)
			_, _, err := Verify(ctx, st, "shop", m.ID, time.Now())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("verify: %v, want %q", err, tt.want)
			}
		})
	}
	if _, _, err := Verify(ctx, st, "shop", m.ID, time.Now()); err != nil {
		t.Errorf("restored: %v", err)
	}
}

// TestPrune keeps the newest complete backups and drops incomplete ones
// older than the newest complete one.
func TestPrune(t *testing.T) {
	c := newTestCluster(t, []int{0})
	c.nodes[0][0].fill(t, 2)
	dir := t.TempDir()
	st := store.Dir(dir)
	ctx := testCtx(t)
	for _, id := range []string{"20250101T000000Z", "20250102T000000Z", "20250104T000000Z", "20250105T000000Z"} {
		if _, err := Run(ctx, c.spec, st, Options{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	// Incomplete backups: one older than the newest complete, one newer.
	for _, id := range []string{"20250103T000000Z", "20250106T000000Z"} {
		os.MkdirAll(filepath.Join(dir, "shop", id), 0o750)
		os.WriteFile(filepath.Join(dir, "shop", id, FileName(0)), []byte("REDIS0010"), 0o640)
	}
	removed, err := Prune(ctx, st, "shop", 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(removed, " "); got != "20250101T000000Z 20250102T000000Z 20250103T000000Z" {
		t.Errorf("removed %s", got)
	}
	all, _ := List(ctx, st, "shop")
	var left []string
	for _, l := range all {
		left = append(left, fmt.Sprintf("%s:%v", l.ID, l.Complete()))
	}
	if got := strings.Join(left, " "); got != "20250104T000000Z:true 20250105T000000Z:true 20250106T000000Z:false" {
		t.Errorf("left %s", got)
	}
	if _, err := ReadManifest(ctx, st, "shop", "20250106T000000Z"); !errors.Is(err, ErrIncomplete) {
		t.Errorf("reading an incomplete backup: %v", err)
	}
}

var _ = redis.Nil

// cancelledStore fails one partition's file once another's is being
// written, and that one with a full disk once the backup was cancelled
// (the first failure cancels it).
type cancelledStore struct {
	store.Store
	first, full string        // file name suffixes
	writing     chan struct{} // closed when full's write began
}

func (c cancelledStore) Put(ctx context.Context, name string, rd io.Reader) error {
	switch {
	case strings.HasSuffix(name, c.first):
		select {
		case <-c.writing:
		case <-time.After(5 * time.Second):
		}
		return errors.New("connection to the store lost (test)")
	case strings.HasSuffix(name, c.full):
		close(c.writing)
		<-ctx.Done()
		return fmt.Errorf("write %s: %w (test)", name, syscall.ENOSPC)
	}
	return c.Store.Put(ctx, name, rd)
}

// TestFullStoreAfterCancel: a partition that finds the store full after
// another partition's failure cancelled the backup reports it. A full
// disk is not a consequence of the cancellation, and it is often the
// cause of the first failure: on a host store, a writer that failed
// first finds the space that another writer, failing too, freed, and
// cannot tell that the disk was full (the backup lab test's flake).
func TestFullStoreAfterCancel(t *testing.T) {
	c := newTestCluster(t, []int{0, 0})
	c.nodes[0][0].fill(t, 5)
	c.nodes[1][0].fill(t, 5)
	st := cancelledStore{Store: store.Dir(t.TempDir()), first: "partition-0.rdb", full: "partition-1.rdb", writing: make(chan struct{})}
	_, err := Run(testCtx(t), c.spec, st, Options{})
	if err == nil || !strings.Contains(err.Error(), "partition 1") || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("error %v, want partition 1's full store", err)
	}
	if !strings.Contains(err.Error(), "connection to the store lost") {
		t.Errorf("error %v, want partition 0's failure too", err)
	}
}
