package restore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/backup"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/providers/service"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/redisinfo"
	"github.com/roma-redis/roma/remote"
)

// testHookStopped, set by tests, runs once a partition's nodes are
// stopped (to make a restore outlast romad's down_after).
var testHookStopped func(p int)

// stagedName is the staged RDB's name in the master's data directory.
const stagedName = "dump.rdb.roma-restore"

// target is one node a restore works on.
type target struct {
	node   cluster.Node
	host   cluster.Host
	layout cluster.Layout
	addr   string
}

func (r *runner) target(name string) target {
	n, _ := r.spec.Node(name)
	h, _ := r.spec.Host(n.Host)
	return target{node: n, host: h, layout: cluster.LayoutOf(h), addr: r.spec.Addr(n.Host, n.Port)}
}

func (tg target) data(file string) string { return path.Join(tg.layout.Data(tg.node.Name), file) }

// stage streams the partition's file from the store into its master's
// data directory (atomically, under a name Redis does not read), checking
// its size and SHA-256 against the manifest on the way: a file that
// changed since it was verified is not staged.
func (r *runner) stage(ctx context.Context, pp PartitionPlan) error {
	m := r.target(pp.Master.Name)
	fail := func(err error) error { return fmt.Errorf("partition %d: staging on %s: %w", pp.P, m.host.Name, err) }
	t, err := r.conn(ctx, m.host.Name)
	if err != nil {
		return fail(err)
	}
	if _, err := t.Stat(ctx, m.layout.Conf(m.node.Name)); err != nil {
		return fail(fmt.Errorf("%s has no conf file on %s (run roma apply first): %w", m.node.Name, m.host.Name, err))
	}
	rc, err := r.st.Open(ctx, path.Join(backup.Dir(r.plan.Backup.Cluster, r.plan.Backup.ID), pp.File.Name))
	if err != nil {
		return fail(err)
	}
	defer rc.Close()
	vr := &verifyingReader{r: rc, h: sha256.New(), want: pp.File}
	if err := t.WriteFrom(ctx, m.data(stagedName), vr, 0o640); err != nil {
		return fail(err)
	}
	r.report(Event{Partition: pp.P, Node: m.node.Name, Message: fmt.Sprintf("staged %s on %s (SHA-256 checked)", backup.HumanSize(pp.File.Size), m.host.Name)})
	return nil
}

// unstage removes staged files after a failed staging.
func (r *runner) unstage() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, pp := range r.plan.Partitions {
		m := r.target(pp.Master.Name)
		if t, err := r.conn(ctx, m.host.Name); err == nil {
			t.Remove(ctx, m.data(stagedName))
		}
	}
}

// verifyingReader passes a file through and, at its end, fails unless
// its size and SHA-256 are the manifest's: the atomic write it feeds then
// leaves nothing behind.
type verifyingReader struct {
	r    io.Reader
	h    hash.Hash
	n    int64
	want backup.File
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if errors.Is(err, io.EOF) {
		if v.n != v.want.Size {
			return n, fmt.Errorf("%s is %d bytes now, the manifest says %d", v.want.Name, v.n, v.want.Size)
		}
		if sum := hex.EncodeToString(v.h.Sum(nil)); sum != v.want.SHA256 {
			return n, fmt.Errorf("%s changed since it was verified: SHA-256 %s, the manifest says %s", v.want.Name, sum, v.want.SHA256)
		}
	}
	return n, err
}

// restorePartition stops the partition's nodes, puts the staged RDB in
// place, starts the master and checks its keys, then starts the others
// as its replicas. touched says whether any node was stopped.
func (r *runner) restorePartition(ctx context.Context, pp PartitionPlan) (touched bool, err error) {
	ev := func(node, msg string) { r.report(Event{Partition: pp.P, Node: node, Message: msg}) }
	m := r.target(pp.Master.Name)
	var reps []target
	for _, rp := range pp.Replicas {
		reps = append(reps, r.target(rp.Name))
	}
	all := append([]target{m}, reps...)
	step := "stopping the nodes"
	defer func() {
		if err != nil && ctx.Err() != nil {
			err = fmt.Errorf("interrupted while %s", step)
		}
		if err != nil {
			r.report(Event{Partition: pp.P, Message: err.Error(), Failed: true})
		}
	}()

	// 1. Stop every node of the partition, without saving: their data is
	// about to be replaced.
	touched = true
	errs := make([]error, len(all))
	parallel(len(all), func(i int) { errs[i] = r.stopNode(ctx, all[i]) })
	if err := errors.Join(errs...); err != nil {
		return touched, err
	}
	ev("", fmt.Sprintf("stopped %d nodes", len(all)))
	if testHookStopped != nil {
		testHookStopped(pp.P)
	}

	// 2. The staged file becomes the master's dump.rdb; the replicas are
	// emptied, so that none can come back with the old data.
	step = "putting the data in place"
	if err := r.swap(ctx, m, true); err != nil {
		return touched, err
	}
	for _, rp := range reps {
		if err := r.swap(ctx, rp, false); err != nil {
			return touched, err
		}
	}

	// 3. The master loads it; its key count must be the manifest's.
	step = "starting the master " + m.node.Name
	loaded, err := r.startMaster(ctx, m, pp)
	if err != nil {
		return touched, err
	}
	ev(m.node.Name, loaded)

	// 4. The replicas copy it.
	parallel(len(reps), func(i int) {
		if err := r.startReplica(ctx, reps[i], m); err != nil {
			r.mu.Lock()
			r.res.Warnings = append(r.res.Warnings, fmt.Sprintf("partition %d: replica %s: %v (the master is restored; run roma start once the cause is fixed)", pp.P, reps[i].node.Name, err))
			r.mu.Unlock()
			r.report(Event{Partition: pp.P, Node: reps[i].node.Name, Message: err.Error(), Failed: true})
			return
		}
		ev(reps[i].node.Name, "replica of "+m.node.Name+", in sync")
	})
	return touched, nil
}

func (r *runner) client(tg target) *redis.Client {
	o := redisconn.Options(tg.addr, r.spec.Password.Reveal(), 5*time.Second, 2)
	o.ReadTimeout = 15 * time.Second
	return redisconn.NewClient(redisconn.WithPrevious(o, r.spec.Password.Previous().Reveal()))
}

// stopNode stops a node at once, without a save (SHUTDOWN NOSAVE NOW;
// a node writing its first append-only file, as a replica does after a
// full sync, is asked again until it is done), and has its service
// manager make sure it is gone.
func (r *runner) stopNode(ctx context.Context, tg target) error {
	c := r.client(tg)
	err := redisconn.Shutdown(ctx, c, r.opts.ReadyTimeout, "NOSAVE", "NOW")
	if err != nil && strings.Contains(strings.ToLower(err.Error()), "syntax") {
		err = redisconn.Shutdown(ctx, c, r.opts.ReadyTimeout, "NOSAVE") // Redis before 7.0
	}
	c.Close()
	_ = err // the service manager stops it anyway
	t, err := r.conn(ctx, tg.host.Name)
	if err != nil {
		return fmt.Errorf("stopping %s: %w", tg.node.Name, err)
	}
	mgr, err := service.For(tg.host.Service)
	if err != nil {
		return err
	}
	if err := mgr.Stop(ctx, t, service.RedisUnit(r.spec.Name, tg.layout, tg.node.Name)); err != nil {
		return fmt.Errorf("stopping %s: %w", tg.node.Name, err)
	}
	return nil
}

// swap runs on a stopped node's host: the append-only files go (they
// would be loaded instead of the RDB), and the staged RDB becomes the
// master's dump.rdb, or a replica's dump.rdb is removed.
func (r *runner) swap(ctx context.Context, tg target, master bool) error {
	t, err := r.conn(ctx, tg.host.Name)
	if err != nil {
		return err
	}
	dir := tg.layout.Data(tg.node.Name)
	aofDir, aofFile := setting(tg.node, "appenddirname", "appendonlydir"), setting(tg.node, "appendfilename", "appendonly.aof")
	script := fmt.Sprintf("set -e\ncd %s\nrm -rf -- %s %s\n", remote.ShellQuote(dir), remote.ShellQuote(aofDir), remote.ShellQuote(aofFile))
	if master {
		script += fmt.Sprintf("mv -f -- %s dump.rdb\nchown --reference=. dump.rdb 2>/dev/null || true\n", stagedName)
	} else {
		script += "rm -f -- dump.rdb\n"
	}
	res, err := t.Run(ctx, script)
	if err == nil {
		err = res.Err()
	}
	if err != nil {
		return fmt.Errorf("%s: putting the data in place in %s: %w", tg.node.Name, dir, err)
	}
	return nil
}

// startMaster starts the master on its new dump.rdb (with appendonly off
// for the start when the node runs with it, since Redis would otherwise
// load the append-only file, and on again once loaded, which rewrites it
// from the data), waits until it has loaded, and checks the keys it
// loaded against the manifest. It returns what it loaded, in words.
func (r *runner) startMaster(ctx context.Context, m target, pp PartitionPlan) (string, error) {
	t, err := r.conn(ctx, m.host.Name)
	if err != nil {
		return "", err
	}
	mgr, err := service.For(m.host.Service)
	if err != nil {
		return "", err
	}
	aof := aofOn(m.node)
	unit := service.RedisUnit(r.spec.Name, m.layout, m.node.Name)
	plain := unit
	if aof {
		unit.Argv = append(append([]string{}, unit.Argv...), "--appendonly", "no")
		if _, err := mgr.Install(ctx, t, unit); err != nil {
			return "", err
		}
	}
	logFrom := fileSize(ctx, t, m.layout.Log(m.node.Name))
	if err := mgr.Start(ctx, t, unit); err != nil {
		return "", err
	}
	if aof {
		if _, err := mgr.Install(ctx, t, plain); err != nil { // systemd: the unit file as apply wrote it
			return "", err
		}
	}
	c := r.client(m)
	defer c.Close()
	if err := r.waitLoaded(ctx, c, m); err != nil {
		return "", err
	}
	if err := redisconn.ReplicaOf(ctx, c, "no", "one", r.opts.ReadyTimeout); err != nil {
		return "", fmt.Errorf("%s: REPLICAOF NO ONE: %w", m.node.Name, r.spec.Password.RedactError(err))
	}
	msg, err := r.checkKeys(ctx, t, c, m, pp, logFrom)
	if err != nil {
		return "", err
	}
	if aof {
		if err := r.enableAOF(ctx, c, m); err != nil {
			return "", err
		}
		msg += "; append-only file rewritten from it"
	}
	return msg, nil
}

// checkKeys compares what the master loaded with the manifest: exactly,
// from Redis's "Done loading RDB, keys loaded: N, keys expired: M" log
// line when it is there; else, from INFO keyspace, within what TTLs can
// explain.
func (r *runner) checkKeys(ctx context.Context, t remote.Transport, c *redis.Client, m target, pp PartitionPlan, logFrom int64) (string, error) {
	want := pp.File.Keys
	if want < 0 {
		return "loaded (the backup's keys were not counted: no check)", nil
	}
	if loaded, expired, ok := loadedFromLog(ctx, t, m.layout.Log(m.node.Name), logFrom); ok {
		if loaded+expired != want {
			return "", fmt.Errorf("%s loaded %d keys (%d more had expired), the backup holds %d", m.node.Name, loaded, expired, want)
		}
		return fmt.Sprintf("master: loaded %d keys (%d expired since the backup), as the manifest says", loaded, expired), nil
	}
	info, err := c.Info(ctx, "keyspace").Result()
	if err != nil {
		return "", fmt.Errorf("%s: INFO keyspace: %w", m.node.Name, r.spec.Password.RedactError(err))
	}
	got := redisinfo.Parse(info).TotalKeys()
	lo, hi := want-pp.File.Expires, want-pp.Expired
	if got < lo || got > hi {
		return "", fmt.Errorf("%s holds %d keys after loading; the backup holds %d, %d of them with a TTL (%d expired when verified)",
			m.node.Name, got, want, pp.File.Expires, pp.Expired)
	}
	return fmt.Sprintf("master: holds %d keys of the backup's %d (the rest had expired)", got, want), nil
}

var loadedLine = regexp.MustCompile(`Done loading RDB, keys loaded: (\d+), keys expired: (\d+)`)

// loadedFromLog finds the last "Done loading RDB" line written to the log
// after offset from.
func loadedFromLog(ctx context.Context, t remote.Transport, log string, from int64) (loaded, expired int64, ok bool) {
	res, err := t.Run(ctx, fmt.Sprintf("tail -c +%d %s | grep -a 'Done loading RDB' | tail -n 1", from+1, remote.ShellQuote(log)))
	if err != nil {
		return 0, 0, false
	}
	mm := loadedLine.FindStringSubmatch(string(res.Stdout))
	if mm == nil {
		return 0, 0, false
	}
	loaded, _ = strconv.ParseInt(mm[1], 10, 64)
	expired, _ = strconv.ParseInt(mm[2], 10, 64)
	return loaded, expired, true
}

func fileSize(ctx context.Context, t remote.Transport, p string) int64 {
	fi, err := t.Stat(ctx, p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// enableAOF turns appendonly on again, which makes Redis write a new
// append-only file from the data, and waits for that rewrite.
func (r *runner) enableAOF(ctx context.Context, c *redis.Client, m target) error {
	if err := redisconn.EnableAOF(ctx, c, r.opts.ReadyTimeout); err != nil {
		return fmt.Errorf("%s: %w", m.node.Name, r.spec.Password.RedactError(err))
	}
	return nil
}

// startReplica starts an emptied node as a replica of m and waits until
// it is in sync.
func (r *runner) startReplica(ctx context.Context, tg, m target) error {
	t, err := r.conn(ctx, tg.host.Name)
	if err != nil {
		return err
	}
	mgr, err := service.For(tg.host.Service)
	if err != nil {
		return err
	}
	unit := service.RedisUnit(r.spec.Name, tg.layout, tg.node.Name)
	// Started with --replicaof it never serves as an empty master. Under
	// systemd the argument would stay in the unit file: there it is
	// pointed at its master right after it starts.
	if tg.host.Service != cluster.ServiceSystemd {
		unit.Argv = append(unit.Argv, "--replicaof", m.host.Address, strconv.Itoa(m.node.Port))
	}
	if err := mgr.Start(ctx, t, unit); err != nil {
		return err
	}
	c := r.client(tg)
	defer c.Close()
	// Started, it may be loading its master's dataset already (LOADING):
	// ReplicaOf waits that out.
	if err := redisconn.ReplicaOf(ctx, c, m.host.Address, strconv.Itoa(m.node.Port), r.opts.ReadyTimeout); err != nil {
		return fmt.Errorf("REPLICAOF: %w", r.spec.Password.RedactError(err))
	}
	mc := r.client(m)
	defer mc.Close()
	if err := redisconn.WaitSynced(ctx, c, mc, net.JoinHostPort(m.host.Address, strconv.Itoa(m.node.Port)), r.opts.ReadyTimeout); err != nil {
		return fmt.Errorf("not in sync with %s: %w", m.node.Name, r.spec.Password.RedactError(err))
	}
	return nil
}

// waitLoaded waits until the node answers and has loaded its dataset: as
// long as the load moves on, however long it takes.
func (r *runner) waitLoaded(ctx context.Context, c *redis.Client, tg target) error {
	if err := redisconn.WaitLoaded(ctx, c, r.opts.ReadyTimeout); err != nil {
		return fmt.Errorf("%s not ready: %w", tg.node.Name, r.spec.Password.RedactError(err))
	}
	return nil
}

func setting(n cluster.Node, name, def string) string {
	if v := n.Redis[name].Values; len(v) == 1 && v[0] != "" {
		return v[0]
	}
	return def
}
