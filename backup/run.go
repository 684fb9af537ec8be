package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/providers/store"
)

// Options change how Run takes a backup. The zero value takes a plain
// (not consistent) backup.
type Options struct {
	// Consistent pauses writes on every master until every partition's
	// snapshot is taken, so that the backup is of one point in time.
	Consistent bool
	// PauseTimeout bounds the pause of a consistent backup (default 5s):
	// Redis lifts it by itself after that long, even if roma dies, and a
	// backup whose snapshots are not all taken by then fails.
	PauseTimeout time.Duration
	// ID names the backup; empty means NewID of the start time.
	ID string
	// LocalAddr is the address to connect to nodes from (romad uses its
	// host's); empty lets the system choose.
	LocalAddr string
	// IdleTimeout fails a transfer silent this long (default
	// DefaultIdleTimeout).
	IdleTimeout time.Duration
	// Progress, when set, is told what happens, one event at a time.
	Progress func(Event)
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Event is one step of a backup, for progress output.
type Event struct {
	Partition int // -1 for the whole backup
	Message   string
}

func (o *Options) defaults() {
	if o.PauseTimeout <= 0 {
		o.PauseTimeout = 5 * time.Second
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.Progress == nil {
		o.Progress = func(Event) {}
	}
	report := o.Progress
	var mu sync.Mutex
	o.Progress = func(e Event) { // one call at a time, whichever partition reports
		mu.Lock()
		defer mu.Unlock()
		report(e)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Run backs up every partition of the cluster spec declares into st, in
// parallel, and writes the manifest once every file is stored and
// verified. On failure it removes what it stored (a backup that could
// not be cleaned up has no manifest: it lists as incomplete) and returns
// an error naming each partition that failed.
func Run(ctx context.Context, spec *cluster.Spec, st store.Store, opts Options) (*Manifest, error) {
	opts.defaults()
	start := opts.Now().UTC()
	cl := Clients{Password: spec.Password.Reveal(), Previous: spec.Password.Previous().Reveal(), LocalAddr: opts.LocalAddr}
	if err := restoreUnderWay(ctx, spec, cl); err != nil {
		return nil, fmt.Errorf("no backup taken: %w", err)
	}
	parts := Observe(ctx, spec, cl)
	if err := PasswordRefused(parts); err != nil {
		return nil, fmt.Errorf("no backup taken: %w", err)
	}
	var problems []error
	for _, p := range parts {
		if why := p.Problem(); why != "" {
			problems = append(problems, errors.New(why))
		}
	}
	if err := errors.Join(problems...); err != nil {
		return nil, fmt.Errorf("no backup taken: %w", err)
	}
	id, err := freeID(ctx, st, spec.Name, opts.ID, start)
	if err != nil {
		return nil, err
	}
	m := &Manifest{Version: ManifestVersion, ID: id, Cluster: spec.Name, Hash: spec.Hash, Partitions: spec.Partitions,
		Started: start, Consistent: opts.Consistent, Files: make([]File, len(parts))}
	opts.Progress(Event{-1, fmt.Sprintf("Backup %s of cluster %s into %s", id, spec.Name, st)})
	for _, p := range parts {
		role := "replica"
		if p.Source == p.Master {
			role = "master (no healthy replica)"
		}
		opts.Progress(Event{p.P, fmt.Sprintf("from %s, %s", p.Source.Node.Name, role)})
	}
	err = fetchAll(ctx, st, parts, m, opts, cl)
	if err == nil {
		m.Finished = opts.Now().UTC()
		err = st.Put(ctx, path.Join(Dir(spec.Name, id), ManifestName), bytes.NewReader(m.Marshal()))
		if err != nil {
			err = fmt.Errorf("writing the manifest: %w", err)
		}
	}
	if err != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if rerr := store.RemoveAll(cctx, st, Dir(spec.Name, id)); rerr != nil && !isNotExist(rerr) {
			err = fmt.Errorf("%w; the incomplete backup %s stays in %s (%v): roma backup prune removes it", err, id, st, rerr)
		}
		return nil, fmt.Errorf("backup %s failed: %w", id, err)
	}
	return m, nil
}

// freeID returns want, or NewID(start) with a suffix when a backup of
// that name exists already.
func freeID(ctx context.Context, st store.Store, clusterName, want string, start time.Time) (string, error) {
	if want != "" && !ValidID(want) {
		return "", fmt.Errorf("backup ID %q: want a time like 20060102T150405Z", want)
	}
	entries, err := st.List(ctx, clusterName)
	if err != nil {
		return "", fmt.Errorf("listing %s: %w", st, err)
	}
	taken := map[string]bool{}
	for _, e := range entries {
		taken[e.Name] = true
	}
	if want != "" {
		if taken[want] {
			return "", fmt.Errorf("backup %s exists already in %s", want, st)
		}
		return want, nil
	}
	id := NewID(start)
	for i := 1; taken[id]; i++ {
		id = NewID(start) + "-" + strconv.Itoa(i)
	}
	return id, nil
}

// fetchAll takes every partition's RDB into st, filling m.Files.
func fetchAll(ctx context.Context, st store.Store, parts []Partition, m *Manifest, opts Options, cl Clients) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	conns := make([]*syncConn, len(parts))
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	errs := make([]error, len(parts))
	if !opts.Consistent {
		// A replica's snapshot holds everything written before the backup
		// began once it has caught up with its master.
		parallel(len(parts), func(i int) {
			if parts[i].Source != parts[i].Master && !catchUp(ctx, parts[i], cl, 5*time.Second) {
				parts[i].Source = parts[i].Master
				opts.Progress(Event{i, "the replica lags behind: from the master " + parts[i].Master.Node.Name + " instead"})
			}
		})
	}
	parallel(len(parts), func(i int) {
		src := parts[i].Source
		conns[i], errs[i] = dialSync(ctx, src.Addr, cl.Password, cl.Previous, cl.LocalAddr, opts.IdleTimeout)
		if errs[i] != nil {
			errs[i] = fmt.Errorf("partition %d: connecting to %s at %s: %w", i, src.Node.Name, src.Addr, cluster.NewSecret(cl.Password).RedactError(errs[i]))
		}
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if opts.Consistent {
		paused, err := snapshotConsistent(ctx, parts, conns, cl, opts)
		m.PausedMS = float64(paused.Microseconds()) / 1000
		if err != nil {
			return err
		}
		opts.Progress(Event{-1, fmt.Sprintf("Writes paused on every master for %s while the snapshots were taken", paused.Round(time.Microsecond))})
	}
	parallel(len(parts), func(i int) {
		f, err := fetchOne(ctx, st, path.Join(Dir(m.Cluster, m.ID), FileName(i)), parts[i], conns[i], cl, opts)
		if err != nil {
			errs[i] = fmt.Errorf("partition %d (from %s): %w", i, parts[i].Source.Node.Name, cluster.NewSecret(cl.Password).RedactError(err))
			cancel() // one failure fails the backup: stop the others
			return
		}
		m.Files[i] = f
		opts.Progress(Event{i, fmt.Sprintf("%s, %d keys, sha256 %s… verified", HumanSize(f.Size), f.Keys, f.SHA256[:12])})
	})
	// Report the failures that caused the cancellation, not the
	// cancellations they caused.
	var first []error
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			first = append(first, err)
		}
	}
	if len(first) == 0 {
		first = errs
	}
	if err := errors.Join(first...); err != nil {
		return err
	}
	return ctx.Err()
}

// fetchOne asks for the snapshot (unless a consistent backup did) and
// streams it into the store, hashing and checking it on the way.
func fetchOne(ctx context.Context, st store.Store, name string, p Partition, c *syncConn, cl Clients, opts Options) (File, error) {
	if c.ReplID == "" {
		if err := snapshotNow(ctx, c, cl); err != nil {
			return File{}, ctxErr(ctx, err)
		}
	}
	payload, err := c.payload()
	if err != nil {
		return File{}, ctxErr(ctx, err)
	}
	info, sum, err := storeRDB(ctx, st, name, payload, opts.Now())
	if err != nil {
		return File{}, ctxErr(ctx, err)
	}
	f := File{Partition: p.P, Name: path.Base(name), Node: p.Source.Node.Name, Role: "replica",
		RedisVersion: info.RedisVersion, RDBVersion: info.Version, Size: info.Size, SHA256: sum,
		CRC64: fmt.Sprintf("%016x", info.Checksum), Keys: info.Keys, Expires: info.Expires,
		Databases: databases(info.Databases), ReplID: c.ReplID, Offset: c.Offset}
	if p.Source == p.Master {
		f.Role = "master"
	}
	if f.RedisVersion == "" {
		f.RedisVersion = p.Source.RedisVersion
	}
	if !info.KeysCounted {
		f.Keys = -1
	}
	return f, nil
}

// storeRDB streams an RDB from r into st at name and returns what its scan
// found and its SHA-256. The store commits the file only when the whole
// RDB arrived and its checksum verified: any other end aborts the write.
func storeRDB(ctx context.Context, st store.Store, name string, r io.Reader, now time.Time) (RDBInfo, string, error) {
	pr, pw := io.Pipe()
	putErr := make(chan error, 1)
	go func() {
		err := st.Put(ctx, name, pr)
		if err != nil {
			pr.CloseWithError(err) // the scan, still writing, stops with it
		}
		putErr <- err
	}()
	h := sha256.New()
	info, err := ScanRDB(io.TeeReader(r, io.MultiWriter(h, pw)), now)
	pw.CloseWithError(err) // nil: the store sees the end of the file
	perr := <-putErr
	switch {
	case perr != nil && (err == nil || errors.Is(err, perr)):
		return info, "", fmt.Errorf("storing %s in %s: %w", name, st, perr)
	case err != nil:
		return info, "", err
	}
	return info, hex.EncodeToString(h.Sum(nil)), nil
}

// ctxErr is err, or ctx's error once ctx ended (the other partitions'
// fetches end in a closed connection or a stopped pipe when one failed).
// A full store is kept: no cancellation causes it, and it is often what
// made another partition fail first, with a less telling error.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil && !errors.Is(err, syscall.ENOSPC) {
		return ctx.Err()
	}
	return err
}

// parallel runs fn(0..n-1) at once and waits.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(i)
		}()
	}
	wg.Wait()
}

// HumanSize writes a byte count for people: 1.5 GiB, 12.0 MiB, 512 B.
func HumanSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// snapshotNow has c's node take its snapshot (PSYNC) at once. Data nodes
// hold a full sync back a few seconds (roma renders
// repl-diskless-sync-delay 3, so that romad can promote a replica before
// it syncs from a master that restarted without its data): a backup need
// not wait for that, and a consistent one must not, since writes stay
// paused until every snapshot is taken. The delay is set to 0 just for
// the request, and put back once the node has forked (+FULLRESYNC), by
// this backup only if it changed it. A backup killed in between leaves it
// at 0, which roma plan shows and apply puts back.
func snapshotNow(ctx context.Context, c *syncConn, cl Clients) error {
	rc := cl.New(c.addr)
	defer rc.Close()
	delay := ""
	if v, err := rc.ConfigGet(ctx, "repl-diskless-sync-delay").Result(); err == nil && v["repl-diskless-sync-delay"] != "0" {
		if rc.ConfigSet(ctx, "repl-diskless-sync-delay", "0").Err() == nil {
			delay = v["repl-diskless-sync-delay"]
		}
	}
	err := c.psync()
	if delay != "" {
		// Even when ctx is done: the node must get its delay back.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if rerr := rc.ConfigSet(rctx, "repl-diskless-sync-delay", delay).Err(); rerr != nil {
			return errors.Join(err, fmt.Errorf("putting repl-diskless-sync-delay back to %s: %w (roma apply puts it back)", delay, rerr))
		}
	}
	return err
}
