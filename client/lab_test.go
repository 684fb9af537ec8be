package client_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/client"
	"github.com/roma-redis/roma/client/clienttest"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/status"
)

func TestMain(m *testing.M) { os.Exit(lab.Main(m, lab.Options{Hosts: 4})) }

// labDB is the database the lab cluster's partitions use on every node.
const labDB = 2

// labCluster is the one cluster the lab tests share: 3 partitions of two
// nodes on db1..db3 using database 2, a status node on db4, and the last
// status published. Tests that change the status publish through it.
type labCluster struct {
	spec *cluster.Spec
	mu   sync.Mutex
	st   *status.Status
}

var shared struct {
	once sync.Once
	lc   *labCluster
	err  error
}

func getCluster(t *testing.T) *labCluster {
	t.Helper()
	l := lab.Shared(t)
	shared.once.Do(func() {
		text := plantest.ConfigText(l, 3, "")
		text = strings.Replace(text, "  base_port = 7000\n", "  base_port = 7000\n  database  = 2\n", 1)
		dir := t.TempDir()
		if err := os.WriteFile(dir+"/roma.hcl", []byte(text), 0o644); err != nil {
			shared.err = err
			return
		}
		spec := plantest.Load(t, dir)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if shared.err = plantest.Bootstrap(ctx, spec); shared.err != nil {
			return
		}
		st := clienttest.Status(spec, 1, nil)
		shared.err = clienttest.Publish(ctx, spec, st)
		shared.lc = &labCluster{spec: spec, st: st}
	})
	if shared.err != nil {
		t.Fatalf("lab cluster: %v", shared.err)
	}
	return shared.lc
}

// publish writes the status change makes from the last one, at the next
// epoch, and returns it.
func (lc *labCluster) publish(t *testing.T, change func(st *status.Status) *status.Status) *status.Status {
	t.Helper()
	lc.mu.Lock()
	defer lc.mu.Unlock()
	st := change(lc.st)
	if err := clienttest.Publish(context.Background(), lc.spec, st); err != nil {
		t.Fatal(err)
	}
	lc.st = st
	return st
}

func (lc *labCluster) status() *status.Status {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	return lc.st
}

func newClient(t *testing.T, lc *labCluster, o client.Options) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.NewFromSpec(ctx, lc.spec, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// redisCLI runs commands (one per line) with redis-cli on node name, in
// the given database, and returns its raw output lines.
func redisCLI(t *testing.T, spec *cluster.Spec, name string, db int, commands []string) []string {
	t.Helper()
	n, _ := spec.Node(name)
	h, _ := spec.Host(n.Host)
	cmd := exec.Command("redis-cli", "-h", h.Address, "-p", fmt.Sprint(n.Port), "-n", fmt.Sprint(db), "--raw")
	cmd.Env = append(os.Environ(), "REDISCLI_AUTH="+spec.Password.Reveal())
	cmd.Stdin = strings.NewReader(strings.Join(commands, "\n") + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli on %s: %v\n%s", name, err, out)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
}

// TestLabRouting: every key lands on its partition's master, in the
// partition's database, and on no other partition; redis-cli on each node
// is the judge.
func TestLabRouting(t *testing.T) {
	lc := getCluster(t)
	c := newClient(t, lc, client.Options{})
	ctx := context.Background()
	const n = 300
	var keys, exists []string
	for i := range n {
		k := fmt.Sprintf("route:%d", i)
		if i%10 == 0 {
			k = fmt.Sprintf("{route}:%d", i) // hash tags: all in one partition
		}
		keys = append(keys, k)
		exists = append(exists, "EXISTS "+k)
		if err := c.Set(ctx, k, "v"+k, 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
	}
	st := lc.status()
	for p, part := range st.Partitions {
		for _, name := range append([]string{part.Master}, part.Replicas...) {
			if name != part.Master {
				waitReplica(t, lc.spec, name)
			}
			got := redisCLI(t, lc.spec, name, labDB, exists)
			in0 := redisCLI(t, lc.spec, name, 0, exists)
			for i, k := range keys {
				loc, err := c.Locate(k)
				if err != nil {
					t.Fatal(err)
				}
				want := "0"
				if loc.Partition == p {
					want = "1"
				}
				if got[i] != want {
					t.Errorf("key %s (partition %d): EXISTS on %s (partition %d) db %d = %s, want %s", k, loc.Partition, name, p, labDB, got[i], want)
				}
				if in0[i] != "0" {
					t.Errorf("key %s is in database 0 of %s", k, name)
				}
			}
		}
	}
	// Hash tags put every tagged key in one partition.
	first, _ := c.Locate("{route}:0")
	for i := 0; i < n; i += 10 {
		if loc, _ := c.Locate(fmt.Sprintf("{route}:%d", i)); loc.Partition != first.Partition {
			t.Errorf("{route}:%d is in partition %d, {route}:0 in %d", i, loc.Partition, first.Partition)
		}
	}
	if first.Master == nil || first.Master.DB != labDB || first.Master.Name != st.Partitions[first.Partition].Master {
		t.Errorf("Locate = %+v, want the master of partition %d in database %d", first, first.Partition, labDB)
	}
	if v, err := c.Get(ctx, "route:7").Result(); err != nil || v != "vroute:7" {
		t.Errorf("GET route:7 = %q, %v", v, err)
	}
}

// waitReplica waits until replica name has every write its master has
// (their replication offsets match), and fails the test after 5s.
func waitReplica(t *testing.T, spec *cluster.Spec, name string) {
	t.Helper()
	ctx := context.Background()
	rc := plantest.NodeClient(spec, name)
	defer rc.Close()
	field := func(c *redis.Client, f string) string {
		info, _ := c.Info(ctx, "replication").Result()
		for _, l := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(l, f+":"); ok {
				return v
			}
		}
		return ""
	}
	var mc *redis.Client
	deadline := time.Now().Add(5 * time.Second)
	for {
		if mc == nil {
			if host, port := field(rc, "master_host"), field(rc, "master_port"); host != "" {
				mc = redis.NewClient(&redis.Options{Addr: host + ":" + port, Password: spec.Password.Reveal(), Protocol: 2, DisableIdentity: true})
				defer mc.Close()
			}
		}
		if mc != nil {
			m, r := field(mc, "master_repl_offset"), field(rc, "slave_repl_offset")
			if m != "" && m == r && field(rc, "master_link_status") == "up" {
				return
			}
			if time.Now().After(deadline) {
				minfo, _ := mc.Info(ctx, "replication").Result()
				rinfo, _ := rc.Info(ctx, "replication").Result()
				t.Fatalf("replica %s did not catch up with its master in 5s\nreplica:\n%s\nmaster:\n%s", name, rinfo, minfo)
			}
		} else if time.Now().After(deadline) {
			t.Fatalf("replica %s has no master", name)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLabSplit: MGET, MSET, DEL, UNLINK, EXISTS and TOUCH across
// partitions give what they give on one Redis.
func TestLabSplit(t *testing.T) {
	lc := getCluster(t)
	c := newClient(t, lc, client.Options{})
	ctx := context.Background()
	// The single Redis: one node, a database no partition uses.
	single := plantest.NodeClient(lc.spec, lc.status().Partitions[0].Master)
	defer single.Close()
	if err := single.Do(ctx, "select", 9).Err(); err != nil {
		t.Fatal(err)
	}
	single = redis.NewClient(&redis.Options{Addr: single.Options().Addr, Password: lc.spec.Password.Reveal(), DB: 9, Protocol: 2, DisableIdentity: true})
	defer single.Close()
	single.FlushDB(ctx)

	var keys []string
	for i := range 12 {
		keys = append(keys, fmt.Sprintf("split:%d", i))
	}
	parts := map[int]bool{}
	for _, k := range keys {
		loc, _ := c.Locate(k)
		parts[loc.Partition] = true
	}
	if len(parts) < 3 {
		t.Fatalf("the keys span %d partitions, want 3", len(parts))
	}
	type cmdable interface {
		redis.Cmdable
		Do(ctx context.Context, args ...any) *redis.Cmd
	}
	script := func(r cmdable) []any {
		var out []any
		do := func(args ...any) {
			v, err := r.Do(ctx, args...).Result()
			if err != nil && err != redis.Nil {
				v = "error: " + err.Error()
			}
			out = append(out, v)
		}
		kv := []any{"mset"}
		for i, k := range keys[:8] {
			kv = append(kv, k, fmt.Sprint("v", i))
		}
		do(kv...)
		do(append([]any{"mget"}, anys(keys)...)...)
		do(append([]any{"exists"}, anys(append(keys, keys[0], keys[0]))...)...)
		do(append([]any{"touch"}, anys(keys[2:10])...)...)
		do(append([]any{"del"}, anys(keys[:3])...)...)
		do(append([]any{"unlink"}, anys(keys[2:6])...)...)
		do(append([]any{"mget"}, anys(keys)...)...)
		do(append([]any{"exists"}, anys(keys)...)...)
		typed := []any{r.MGet(ctx, keys[6], keys[0], keys[7]).Val(), r.Exists(ctx, keys...).Val(), r.Del(ctx, keys...).Val()}
		return append(out, typed...)
	}
	want := script(single)
	got := script(c)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("roma client vs one Redis (-one +roma):\n%s", d)
	}
}

func anys(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// keysIn returns n keys of partition p.
func keysIn(t *testing.T, c *client.Client, p, n int) []string {
	t.Helper()
	var out []string
	for i := 0; len(out) < n; i++ {
		k := fmt.Sprintf("k%d", i)
		if loc, _ := c.Locate(k); loc.Partition == p {
			out = append(out, k)
		}
	}
	return out
}

// TestLabRefusals: RENAME, SUNIONSTORE, MULTI/EXEC, EVAL, and SORT whose
// patterns form keys, with keys in two partitions are refused and change
// nothing; with hash tags they run.
func TestLabRefusals(t *testing.T) {
	lc := getCluster(t)
	c := newClient(t, lc, client.Options{})
	ctx := context.Background()
	as, bs := keysIn(t, c, 0, 2), keysIn(t, c, 1, 2)
	a, b := as[0], bs[0]
	c.Set(ctx, a, "A", 0)
	c.Del(ctx, b, as[1], bs[1])

	if err := c.Rename(ctx, a, b).Err(); !errors.Is(err, client.ErrCrossPartition) {
		t.Errorf("RENAME across partitions: %v, want ErrCrossPartition", err)
	}
	if v, _ := c.Get(ctx, a).Result(); v != "A" {
		t.Errorf("after a refused RENAME, %s = %q", a, v)
	}
	if err := c.SUnionStore(ctx, a, b, a).Err(); !errors.Is(err, client.ErrCrossPartition) {
		t.Errorf("SUNIONSTORE across partitions: %v", err)
	}
	_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, as[1])
		p.Incr(ctx, bs[1])
		return nil
	})
	if !errors.Is(err, client.ErrCrossPartition) {
		t.Errorf("MULTI across partitions: %v", err)
	}
	if n, _ := c.Exists(ctx, as[1], bs[1]).Result(); n != 0 {
		t.Errorf("a refused transaction ran %d commands", n)
	}
	if err := c.Eval(ctx, "return redis.call('get', KEYS[1])", []string{a, b}).Err(); !errors.Is(err, client.ErrCrossPartition) {
		t.Errorf("EVAL across partitions: %v", err)
	}

	// Tagged keys go together.
	c.Set(ctx, "{u1}.a", "x", 0)
	if err := c.Rename(ctx, "{u1}.a", "{u1}.b").Err(); err != nil {
		t.Errorf("RENAME with hash tags: %v", err)
	}
	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, "{u1}.n")
		p.Incr(ctx, "{u1}.n")
		p.Get(ctx, "{u1}.b")
		return nil
	})
	if err != nil || cmds[1].(*redis.IntCmd).Val() != 2 || cmds[2].(*redis.StringCmd).Val() != "x" {
		t.Errorf("MULTI with hash tags: %v %v", cmds, err)
	}
	v, err := c.Eval(ctx, "return redis.call('get', KEYS[1]) .. redis.call('get', KEYS[2])", []string{"{u1}.b", "{u1}.n"}).Result()
	if err != nil || v != "x2" {
		t.Errorf("EVAL with hash tags = %v, %v", v, err)
	}
	// go-redis's Script: EVALSHA, then EVAL on NOSCRIPT, routed by key.
	s := redis.NewScript("return redis.call('incrby', KEYS[1], ARGV[1])")
	if n, err := s.Run(ctx, c, []string{"{u1}.n"}, 5).Int(); err != nil || n != 7 {
		t.Errorf("Script.Run = %d, %v", n, err)
	}
	// WATCH on tagged keys.
	err = c.Watch(ctx, func(tx *redis.Tx) error {
		n, _ := tx.Get(ctx, "{u1}.n").Int()
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "{u1}.m", n*2, 0)
			return nil
		})
		return err
	}, "{u1}.n", "{u1}.m")
	if m, _ := c.Get(ctx, "{u1}.m").Int(); err != nil || m != 14 {
		t.Errorf("Watch: {u1}.m = %d, %v", m, err)
	}
	// SORT reads the keys its BY and GET patterns form on the sorted
	// key's node: with the key's hash tag before the '*' they are there.
	c.RPush(ctx, "{u1}.ids", 1, 2, 3)
	for i, w := range []int{30, 20, 10} {
		c.Set(ctx, fmt.Sprintf("{u1}.w_%d", i+1), w, 0)
		c.Set(ctx, fmt.Sprintf("{u1}.o_%d", i+1), fmt.Sprint("o", i+1), 0)
	}
	sorted, err := c.Sort(ctx, "{u1}.ids", &redis.Sort{By: "{u1}.w_*", Get: []string{"#", "{u1}.o_*"}}).Result()
	if want := []string{"3", "o3", "2", "o2", "1", "o1"}; err != nil || !slices.Equal(sorted, want) {
		t.Errorf("SORT BY and GET with the key's hash tag = %q, %v; want %q", sorted, err, want)
	}
	other := "" // a hash tag of another partition than {u1}'s
	for i := 2; other == ""; i++ {
		l1, _ := c.Locate("{u1}")
		if l, _ := c.Locate(fmt.Sprintf("{u%d}", i)); l.Partition != l1.Partition {
			other = fmt.Sprintf("{u%d}", i)
		}
	}
	for _, by := range []string{"w_*", other + ".w_*", "{u1*}.w"} {
		if err := c.SortRO(ctx, "{u1}.ids", &redis.Sort{By: by}).Err(); !errors.Is(err, client.ErrCrossPartition) {
			t.Errorf("SORT_RO BY %s, whose keys may be in another partition: %v, want ErrCrossPartition", by, err)
		}
	}
	if err := c.Watch(ctx, func(*redis.Tx) error { return nil }, a, b); !errors.Is(err, client.ErrCrossPartition) {
		t.Errorf("Watch across partitions: %v", err)
	}
	if err := c.DBSize(ctx).Err(); !errors.Is(err, client.ErrNoKey) {
		t.Errorf("DBSIZE: %v, want ErrNoKey", err)
	}
}

// TestLabPipeline: a pipeline over every partition, with split commands
// in it, gives each command its own reply in order.
func TestLabPipeline(t *testing.T) {
	lc := getCluster(t)
	c := newClient(t, lc, client.Options{})
	ctx := context.Background()
	const n = 1000
	cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range n {
			p.Set(ctx, fmt.Sprintf("pipe:%d", i), i, 0)
		}
		for i := range n {
			p.Get(ctx, fmt.Sprintf("pipe:%d", i))
		}
		p.MGet(ctx, "pipe:1", "pipe:2", "pipe:3", "pipe:none")
		p.Del(ctx, "pipe:1", "pipe:2", "pipe:none")
		p.Get(ctx, "pipe:1")
		return nil
	})
	if err != redis.Nil {
		t.Fatalf("Exec: %v, want redis.Nil (the last GET)", err)
	}
	for i := range n {
		if v := cmds[n+i].(*redis.StringCmd).Val(); v != fmt.Sprint(i) {
			t.Fatalf("GET pipe:%d = %q", i, v)
		}
	}
	if d := cmp.Diff([]any{"1", "2", "3", nil}, cmds[2*n].(*redis.SliceCmd).Val()); d != "" {
		t.Errorf("MGET in a pipeline (-want +got):\n%s", d)
	}
	if v := cmds[2*n+1].(*redis.IntCmd).Val(); v != 2 {
		t.Errorf("DEL in a pipeline = %d, want 2", v)
	}
	// Every partition got its share.
	for p, part := range lc.status().Partitions {
		nc := redis.NewClient(&redis.Options{Addr: lc.status().Nodes[part.Master].Addr, Password: lc.spec.Password.Reveal(), DB: labDB, Protocol: 2})
		keys, _ := nc.Keys(ctx, "pipe:*").Result()
		nc.Close()
		if len(keys) < n/10 {
			t.Errorf("partition %d holds %d of the pipeline's keys", p, len(keys))
		}
	}
}

// TestLabPipelineRefusedPassword: a master that refuses the cluster
// password (its requirepass changed by hand) gives each of its pipelined
// commands that error, not an empty reply; the other partitions' commands
// of the same pipeline succeed.
func TestLabPipelineRefusedPassword(t *testing.T) {
	lc := getCluster(t)
	ctx := context.Background()
	master := lc.status().Partitions[0].Master
	nc := redis.NewClient(&redis.Options{Addr: lc.status().Nodes[master].Addr, Password: lc.spec.Password.Reveal(), Protocol: 2})
	defer nc.Close()
	if err := nc.ConfigSet(ctx, "requirepass", "not-the-cluster-password").Err(); err != nil {
		t.Fatal(err)
	}
	defer nc.ConfigSet(ctx, "requirepass", lc.spec.Password.Reveal()) // nc stays authenticated
	c := newClient(t, lc, client.Options{})                           // no connection to the node yet
	keys := map[int][]string{0: keysIn(t, c, 0, 3), 1: keysIn(t, c, 1, 3)}
	var sets0, sets1 []*redis.StatusCmd
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys[0] {
			sets0 = append(sets0, p.Set(ctx, k, "v", 0))
		}
		for _, k := range keys[1] {
			sets1 = append(sets1, p.Set(ctx, k, "v", 0))
		}
		return nil
	})
	if err == nil {
		t.Error("the pipeline succeeded")
	}
	for i, cmd := range sets0 {
		if cmd.Err() == nil || !strings.Contains(cmd.Err().Error(), "WRONGPASS") {
			t.Errorf("SET %s on partition 0: %q, %v; want WRONGPASS", keys[0][i], cmd.Val(), cmd.Err())
		}
	}
	for i, cmd := range sets1 {
		if cmd.Val() != "OK" || cmd.Err() != nil {
			t.Errorf("SET %s on partition 1: %q, %v; want OK", keys[1][i], cmd.Val(), cmd.Err())
		}
	}
}

// TestLabReplicaReads: with ReplicaReads, GET is served by a replica.
func TestLabReplicaReads(t *testing.T) {
	lc := getCluster(t)
	c := newClient(t, lc, client.Options{ReplicaReads: true})
	ctx := context.Background()
	k := keysIn(t, c, 2, 1)[0]
	if err := c.Set(ctx, k, "r", 0).Err(); err != nil {
		t.Fatal(err)
	}
	replica := lc.status().Partitions[2].Replicas[0]
	waitReplica(t, lc.spec, replica)
	rc := plantest.NodeClient(lc.spec, replica)
	defer rc.Close()
	calls := func() string {
		info, _ := rc.Info(ctx, "commandstats").Result()
		for _, l := range strings.Split(info, "\n") {
			if strings.HasPrefix(l, "cmdstat_get:") {
				return strings.Fields(strings.ReplaceAll(l, ",", " "))[0]
			}
		}
		return ""
	}
	before := calls()
	if v, err := c.Get(ctx, k).Result(); err != nil || v != "r" {
		t.Fatalf("GET from a replica = %q, %v", v, err)
	}
	if after := calls(); after == before {
		t.Errorf("the replica %s served no GET (%s)", replica, after)
	}

	// Published syncing (not in sync with its master: what it holds may
	// be old or empty), the replica serves no read; up again, it does.
	publishReplica := func(state string) {
		t.Helper()
		st := lc.publish(t, func(cur *status.Status) *status.Status {
			masters := map[int]string{}
			for p, part := range cur.Partitions {
				masters[p] = part.Master
			}
			next := clienttest.Status(lc.spec, cur.Epoch+1, masters)
			ns := next.Nodes[replica]
			ns.State = state
			next.Nodes[replica] = ns
			return next
		})
		waitFor(t, "the status with "+replica+" "+state, func() bool { s, _ := c.Status(); return s.Epoch == st.Epoch })
	}
	publishReplica(status.NodeSyncing)
	before = calls()
	for range 5 {
		if v, err := c.Get(ctx, k).Result(); err != nil || v != "r" {
			t.Fatalf("GET with the replica syncing = %q, %v", v, err)
		}
	}
	if after := calls(); after != before {
		t.Errorf("the replica %s, published syncing, served GETs (%s, then %s)", replica, before, after)
	}
	publishReplica(status.NodeUp)
	if v, err := c.Get(ctx, k).Result(); err != nil || v != "r" {
		t.Fatalf("GET with the replica up again = %q, %v", v, err)
	}
	if after := calls(); after == before {
		t.Errorf("the replica %s, up again, served no GET", replica)
	}
}

// TestLabNoMajority: without a majority of status nodes, New fails with
// an error that is ErrNoMajority and ErrHalt.
func TestLabNoMajority(t *testing.T) {
	lc := getCluster(t)
	l := lab.Shared(t)
	o := client.SpecOptions(lc.spec)
	// One refuses connections; the other takes them and never answers,
	// so the outcome waits for it and the live node's answer is always
	// in (with two refusals, the outcome could settle before it, and
	// the count be 0 under load).
	hung, err := net.Listen("tcp", l.UnusedAddress()+":7101")
	if err != nil {
		t.Fatal(err)
	}
	defer hung.Close()
	go func() {
		for {
			c, err := hung.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	o.StatusAddrs = append(o.StatusAddrs, l.UnusedAddress()+":7100", hung.Addr().String())
	o.DialTimeout = 500 * time.Millisecond
	o.StatusTimeout = 500 * time.Millisecond
	_, err = client.New(context.Background(), o)
	if !errors.Is(err, client.ErrNoMajority) || !errors.Is(err, client.ErrHalt) {
		t.Fatalf("New with 1 of 3 status nodes: %v", err)
	}
	if !strings.Contains(err.Error(), "1 of 3") || strings.Contains(err.Error(), lc.spec.Password.Reveal()) {
		t.Errorf("error %q", err)
	}
}

// TestLabHalt: a HALT status stops every command with ErrHalt within
// moments, through the subscription alone; the next OK status lets them
// through again.
func TestLabHalt(t *testing.T) {
	lc := getCluster(t)
	c := newClient(t, lc, client.Options{PollInterval: time.Minute})
	ctx := context.Background()
	if err := c.Set(ctx, "halt:k", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	before := lc.status()
	halted := lc.publish(t, func(st *status.Status) *status.Status { return clienttest.Halt(st, st.Epoch+1, 1) })
	// No command runs meanwhile and polling is off: only the subscription
	// can bring the new status.
	if took := waitFor(t, "the HALT status", func() bool { _, err := c.Status(); return err != nil }); took > time.Second {
		t.Errorf("the client took %v to see the HALT status (subscription lost?)", took)
	}
	err := c.Set(ctx, "halt:k", "2", 0).Err()
	if !errors.Is(err, client.ErrHalt) || errors.Is(err, client.ErrNoMajority) {
		t.Fatalf("SET in HALT: %v", err)
	}
	want := fmt.Sprintf(`cluster %q is in HALT (epoch %d): partition 1 has no master`, lc.spec.Name, halted.Epoch)
	if err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	lc.publish(t, func(st *status.Status) *status.Status {
		ok := *before
		ok.Epoch = st.Epoch + 1
		return &ok
	})
	waitFor(t, "the OK status", func() bool { _, err := c.Status(); return err == nil })
	if err := c.Set(ctx, "halt:k", "3", 0).Err(); err != nil {
		t.Errorf("SET after HALT: %v", err)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !ok() {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("%s did not arrive within 5s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// TestLabFailover: a failover during a write loop costs at most the
// commands in flight, and the client follows the new status through its
// subscription (polling is off), within moments. The status comes 300ms
// after the old master is demoted, so writes meet READONLY meanwhile and
// wait for it.
func TestLabFailover(t *testing.T) {
	lc := getCluster(t)
	c := newClient(t, lc, client.Options{PollInterval: time.Minute})
	newMaster := lc.status().Partitions[0].Replicas[0]
	failoverUnderWrites(t, lc, c, 0, 0, func() {})
	// Writes now land on the new master.
	k := keysIn(t, c, 0, 1)[0]
	if err := c.Set(context.Background(), k, "after", 0).Err(); err != nil {
		t.Fatal(err)
	}
	got := redisCLI(t, lc.spec, newMaster, labDB, []string{"GET " + k, "ROLE"})
	if got[0] != "after" || got[1] != "master" {
		t.Errorf("on the new master %s: %v", newMaster, got)
	}
}

// TestLabMasterKilled: the master of partition 1 dies (connections
// refused) and its replica takes over 300ms later; writes wait for the
// new status and go on. (It leaves that node down: it runs last.)
func TestLabMasterKilled(t *testing.T) {
	lc := getCluster(t)
	c := newClient(t, lc, client.Options{PollInterval: time.Minute})
	old := lc.status().Partitions[1].Master
	failoverUnderWrites(t, lc, c, 1, 0, func() {
		nc := plantest.NodeClient(lc.spec, old)
		defer nc.Close()
		_ = nc.Do(context.Background(), "shutdown", "nosave").Err()
	})
}

// TestLabFailoverPipelined: the same failover under writers that send
// pipelines of 64 SETs, half to the failing partition and half to
// another: the commands that met READONLY go again once the status moves,
// so at most the pipelines in flight lose commands.
func TestLabFailoverPipelined(t *testing.T) {
	lc := getCluster(t)
	c := newClient(t, lc, client.Options{PollInterval: time.Minute})
	newMaster := lc.status().Partitions[2].Replicas[0]
	failoverUnderWrites(t, lc, c, 2, 64, func() {})
	got := redisCLI(t, lc.spec, newMaster, labDB, []string{"ROLE"})
	if got[0] != "master" {
		t.Errorf("%s after the failover: %v", newMaster, got)
	}
}

// failoverUnderWrites runs 4 writers on partition p's keys, calls before,
// fails p over to its replica, and checks that at most the writes in
// flight failed and that the client followed within a second. With batch
// > 0, each writer sends pipelines of batch SETs, every other one to a key
// of another partition.
func failoverUnderWrites(t *testing.T, lc *labCluster, c *client.Client, p, batch int, before func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	keys := keysIn(t, c, p, 8)
	others := keysIn(t, c, (p+1)%len(lc.status().Partitions), 8)
	const writers = 4
	w := startWriters(ctx, writers, func(w, i int) []error {
		if batch == 0 {
			return []error{c.Set(ctx, keys[(w+i)%len(keys)], i, 0).Err()}
		}
		cmds, _ := c.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for j := range batch {
				k := keys
				if j%2 == 1 {
					k = others
				}
				pipe.Set(ctx, k[(w+i+j)%len(k)], i, 0)
			}
			return nil
		})
		// Pipelines without a pause would keep both CPUs busy, and the
		// packages tested beside this one (romad's failover timing) need
		// some.
		time.Sleep(5 * time.Millisecond)
		return cmdErrs(cmds)
	})
	time.Sleep(300 * time.Millisecond)
	before()
	next := lc.failover(t, ctx, p, 1, 300*time.Millisecond)
	took := waitFor(t, "the new status", func() bool { st, _ := c.Status(); return st.Epoch == next.Epoch })
	t.Logf("the client followed the failover %v after the status was published", took)
	if took > time.Second {
		t.Errorf("the client took %v to follow the failover (subscription lost?)", took)
	}
	time.Sleep(300 * time.Millisecond)
	writes, failed := w.stop()
	t.Logf("%d writes, %d failed: %v", writes, len(failed), failed)
	if inFlight := writers * max(batch, 1); len(failed) > inFlight {
		t.Errorf("%d writes failed during the failover, more than the %d in flight: %v", len(failed), inFlight, failed)
	}
}

// TestLabAddressOnly: a client built from the status nodes' addresses
// alone (no roma.hcl) learns each node's database from the status.
func TestLabAddressOnly(t *testing.T) {
	lc := getCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var addrs []string
	for _, s := range lc.spec.Status {
		addrs = append(addrs, lc.spec.Addr(s.Host, s.Port))
	}
	c, err := client.New(ctx, client.Options{Cluster: lc.spec.Name, StatusAddrs: addrs, Password: lc.spec.Password})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Set(ctx, "addr-only:1", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	loc, err := c.Locate("addr-only:1")
	if err != nil || loc.Master == nil || loc.Master.DB != labDB {
		t.Fatalf("Locate = %+v, %v; want database %d", loc, err, labDB)
	}
	if got := redisCLI(t, lc.spec, loc.Master.Name, labDB, []string{"GET addr-only:1"}); got[0] != "x" {
		t.Errorf("GET addr-only:1 in database %d of %s = %q", labDB, loc.Master.Name, got)
	}
}

// TestLabFailoverAfterOtherStatus: romad publishes a status per change,
// and during a roll several come close together: another partition's
// switchover, a replica back up. Here the status of another change comes
// first, once partition 0's old master already refuses writes
// (READONLY), and the one that moves partition 0 comes 500ms later. A
// write that met READONLY must wait for that one: retried on the first
// newer status, which still names the old master, it met READONLY again
// and failed (roma cli printed it during apply's rolls). No write may
// fail.
func TestLabFailoverAfterOtherStatus(t *testing.T) {
	lc := getCluster(t)
	c := newClient(t, lc, client.Options{PollInterval: time.Minute})
	const p = 0
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	before := lc.status()
	old := before.Partitions[p].Master
	masters := map[int]string{}
	for i, part := range before.Partitions {
		masters[i] = part.Master
	}
	keys := keysIn(t, c, p, 8)
	w := startWriters(ctx, 4, func(w, i int) []error {
		defer time.Sleep(time.Millisecond)
		if w > 0 {
			return []error{c.Set(ctx, keys[(w+i)%len(keys)], i, 0).Err()}
		}
		// One writer sends pipelines.
		cmds, _ := c.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for j := range 8 {
				pipe.Set(ctx, keys[j], i, 0)
			}
			return nil
		})
		return cmdErrs(cmds)
	})
	time.Sleep(300 * time.Millisecond)
	// The other change's status, as soon as the old master is a replica.
	other := make(chan error, 1)
	go func() {
		oc := plantest.NodeClient(lc.spec, old)
		defer oc.Close()
		for ctx.Err() == nil {
			if role, err := oc.Do(ctx, "ROLE").Slice(); err == nil && len(role) > 0 && role[0] == "slave" {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		other <- clienttest.Publish(ctx, lc.spec, clienttest.Status(lc.spec, before.Epoch+1, masters))
	}()
	next := lc.failover(t, ctx, p, 2, 500*time.Millisecond)
	if err := <-other; err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new status", func() bool { st, _ := c.Status(); return st.Epoch == next.Epoch })
	time.Sleep(300 * time.Millisecond)
	writes, failed := w.stop()
	t.Logf("%d writes, %d failed", writes, len(failed))
	if len(failed) > 0 {
		t.Errorf("%d writes failed across the two statuses: %v", len(failed), failed)
	}
}

// TestLabStatusNodeRestart: the lab cluster's one status node restarts
// (a roll restarts it; here it crashes and comes back a second later).
// With no majority the client must not route by the status it has, and
// commands got ErrNoMajority at once; they wait for the status node
// instead, as for a failover, and none fails.
func TestLabStatusNodeRestart(t *testing.T) {
	lc := getCluster(t)
	c := newClient(t, lc, client.Options{})
	sn := lc.spec.Status[0]
	keys := keysIn(t, c, 0, 4)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := startWriters(ctx, 2, func(w, i int) []error {
		defer time.Sleep(2 * time.Millisecond)
		if w == 0 {
			return []error{c.Set(ctx, keys[i%len(keys)], i, 0).Err()}
		}
		cmds, _ := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, keys[i%len(keys)], i, 0)
			p.Get(ctx, keys[(i+1)%len(keys)])
			return nil
		})
		return cmdErrs(cmds)
	})
	time.Sleep(200 * time.Millisecond)
	plantest.Crash(t, lc.spec, sn.Host, sn.Port, sn.Name)
	waitFor(t, "the client to see no majority", func() bool {
		_, err := c.Status()
		return errors.Is(err, client.ErrNoMajority)
	})
	time.Sleep(time.Second)
	plantest.StartByHand(t, lc.spec, sn.Name)
	waitFor(t, "the status again", func() bool { _, err := c.Status(); return err == nil })
	time.Sleep(200 * time.Millisecond)
	writes, failed := w.stop()
	t.Logf("%d writes, %d failed", writes, len(failed))
	if len(failed) > 0 {
		t.Errorf("%d commands failed while the status node restarted: %v", len(failed), failed[:min(len(failed), 3)])
	}
}

// writers are goroutines that send commands until stopped, and count
// them and their failures.
type writers struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	writes int
	failed []error
}

// startWriters starts n writers: writer w's i-th round sends what it
// likes and returns each command's error (nil, or redis.Nil, for
// success). Errors after ctx ended do not count.
func startWriters(ctx context.Context, n int, round func(w, i int) []error) *writers {
	ctx, cancel := context.WithCancel(ctx)
	ws := &writers{cancel: cancel}
	for w := range n {
		ws.wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				errs := round(w, i)
				ws.mu.Lock()
				for _, err := range errs {
					ws.writes++
					if err != nil && !errors.Is(err, redis.Nil) && ctx.Err() == nil {
						ws.failed = append(ws.failed, err)
					}
				}
				ws.mu.Unlock()
			}
		})
	}
	return ws
}

// stop stops the writers and returns how many commands they sent and
// the errors of those that failed.
func (ws *writers) stop() (int, []error) {
	ws.cancel()
	ws.wg.Wait()
	return ws.writes, ws.failed
}

// cmdErrs returns each command's error.
func cmdErrs(cmds []redis.Cmder) []error {
	errs := make([]error, len(cmds))
	for i, cmd := range cmds {
		errs[i] = cmd.Err()
	}
	return errs
}

// failover makes partition p's first replica its master as romad would
// (clienttest.Failover, gap as there), publishes that at the last
// published epoch plus ahead, and returns that status.
func (lc *labCluster) failover(t *testing.T, ctx context.Context, p int, ahead int64, gap time.Duration) *status.Status {
	t.Helper()
	lc.mu.Lock()
	defer lc.mu.Unlock()
	next, err := clienttest.Failover(ctx, lc.spec, lc.st, lc.st.Partitions[p].Replicas[0], lc.st.Epoch+ahead, gap)
	if err != nil {
		t.Fatal(err)
	}
	lc.st = next
	return next
}
