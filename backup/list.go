package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/roma-redis/roma/providers/store"
)

// Listed is one backup in a store.
type Listed struct {
	ID       string
	Manifest *Manifest // nil when the backup is incomplete or its manifest unreadable
	Err      error     // why the manifest could not be read
	Files    int       // RDB files present
	Size     int64     // bytes in them
}

// Complete reports whether the backup has a sound manifest.
func (l Listed) Complete() bool { return l.Manifest != nil }

// List returns the backups of cluster c in st, oldest first. A backup
// without a manifest is listed as incomplete.
func List(ctx context.Context, st store.Store, c string) ([]Listed, error) {
	entries, err := st.List(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", st, err)
	}
	var out []Listed
	for _, e := range entries {
		if !e.Dir || !ValidID(e.Name) {
			continue
		}
		l := Listed{ID: e.Name}
		files, err := st.List(ctx, Dir(c, e.Name))
		if err != nil {
			return nil, fmt.Errorf("listing backup %s in %s: %w", e.Name, st, err)
		}
		hasManifest := false
		for _, f := range files {
			switch {
			case f.Name == ManifestName:
				hasManifest = true
			case strings.HasSuffix(f.Name, ".rdb") && !strings.HasPrefix(f.Name, "."):
				l.Files++
				l.Size += f.Size
			}
		}
		if hasManifest {
			l.Manifest, l.Err = ReadManifest(ctx, st, c, e.Name)
		}
		out = append(out, l)
	}
	return out, nil
}

// ErrIncomplete is a backup without a manifest: it was interrupted, or is
// still being taken.
var ErrIncomplete = errors.New("incomplete backup")

// ReadManifest reads and checks backup id's manifest.
func ReadManifest(ctx context.Context, st store.Store, c, id string) (*Manifest, error) {
	if !ValidID(id) {
		return nil, fmt.Errorf("%q is not a backup ID (they look like 20060102T150405Z)", id)
	}
	rc, err := st.Open(ctx, path.Join(Dir(c, id), ManifestName))
	if isNotExist(err) {
		files, _ := st.List(ctx, Dir(c, id))
		if len(files) == 0 {
			return nil, fmt.Errorf("no backup %s of cluster %s in %s", id, c, st)
		}
		return nil, fmt.Errorf("%w: backup %s in %s has no manifest (it was interrupted, or is still running)", ErrIncomplete, id, st)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the manifest of backup %s: %w", id, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("reading the manifest of backup %s: %w", id, err)
	}
	m, err := ParseManifest(data, id)
	if err != nil {
		return nil, err
	}
	if m.Cluster != c {
		return nil, fmt.Errorf("%w: the manifest of backup %s in %s/%s names cluster %q", ErrOtherCluster, id, st, c, m.Cluster)
	}
	return m, nil
}

// FileCheck is what verifying one file found.
type FileCheck struct {
	File File
	Info RDBInfo
	Err  error
}

// Verify reads every file of a backup back from the store and checks it
// against its manifest: size, SHA-256, the RDB's magic, version and
// CRC-64, and the key count. It returns the manifest and one check per
// file; the error joins every file's problem.
func Verify(ctx context.Context, st store.Store, c, id string, now time.Time) (*Manifest, []FileCheck, error) {
	m, err := ReadManifest(ctx, st, c, id)
	if err != nil {
		return nil, nil, err
	}
	checks := make([]FileCheck, len(m.Files))
	parallelN(len(m.Files), 4, func(i int) {
		checks[i] = verifyFile(ctx, st, m, m.Files[i], now)
	})
	var errs []error
	for _, ch := range checks {
		if ch.Err != nil {
			errs = append(errs, ch.Err)
		}
	}
	return m, checks, errors.Join(errs...)
}

// VerifyFile checks one file of backup m, as Verify does.
func verifyFile(ctx context.Context, st store.Store, m *Manifest, f File, now time.Time) FileCheck {
	ch := FileCheck{File: f}
	fail := func(format string, args ...any) FileCheck {
		ch.Err = fmt.Errorf("partition %d (%s): "+format, append([]any{f.Partition, f.Name}, args...)...)
		return ch
	}
	rc, err := st.Open(ctx, path.Join(Dir(m.Cluster, m.ID), f.Name))
	if isNotExist(err) {
		return fail("the file is missing")
	}
	if err != nil {
		return fail("%w", err)
	}
	defer rc.Close()
	h := sha256.New()
	info, err := ScanRDB(io.TeeReader(rc, h), now)
	ch.Info = info
	switch {
	case info.Size < f.Size && (err == nil || !errors.Is(err, ErrNotRDB)):
		return fail("truncated: %d bytes, the manifest says %d", info.Size, f.Size)
	case err != nil:
		return fail("%w", err)
	case info.Size != f.Size:
		return fail("%d bytes, the manifest says %d", info.Size, f.Size)
	case hex.EncodeToString(h.Sum(nil)) != f.SHA256:
		return fail("SHA-256 %s, the manifest says %s", hex.EncodeToString(h.Sum(nil)), f.SHA256)
	case fmt.Sprintf("%016x", info.Checksum) != f.CRC64:
		return fail("CRC-64 %016x, the manifest says %s", info.Checksum, f.CRC64)
	case f.Keys >= 0 && info.Keys != f.Keys:
		return fail("%d keys, the manifest says %d", info.Keys, f.Keys)
	}
	return ch
}

// Prune removes the complete backups of cluster c in st but the newest
// keep, and every incomplete backup older than the newest complete one
// (a newer one may still be running). It returns the IDs it removed.
func Prune(ctx context.Context, st store.Store, c string, keep int) ([]string, error) {
	if keep < 1 {
		return nil, fmt.Errorf("keep %d: at least one backup is kept", keep)
	}
	all, err := List(ctx, st, c)
	if err != nil {
		return nil, err
	}
	newest := ""
	var complete []string
	for _, l := range all {
		if l.Complete() {
			complete = append(complete, l.ID)
			newest = l.ID
		}
	}
	var drop []string
	if len(complete) > keep {
		drop = append(drop, complete[:len(complete)-keep]...)
	}
	for _, l := range all {
		if !l.Complete() && l.Err == nil && newest != "" && l.ID < newest {
			drop = append(drop, l.ID)
		}
	}
	var removed []string
	var errs []error
	for _, id := range drop {
		if err := store.RemoveAll(ctx, st, Dir(c, id)); err != nil {
			errs = append(errs, fmt.Errorf("removing backup %s: %w", id, err))
			continue
		}
		removed = append(removed, id)
	}
	return removed, errors.Join(errs...)
}

// parallelN runs fn(0..n-1), at most k at once, and waits.
func parallelN(n, k int, fn func(i int)) {
	sem := make(chan struct{}, max(k, 1))
	parallel(n, func(i int) {
		sem <- struct{}{}
		defer func() { <-sem }()
		fn(i)
	})
}
