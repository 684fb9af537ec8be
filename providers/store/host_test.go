package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/providers/store"
	"github.com/roma-redis/roma/providers/store/storetest"
	"github.com/roma-redis/roma/remote"
)

func TestMain(m *testing.M) { os.Exit(lab.Main(m, lab.Options{Hosts: 1})) }

// TestHostConformance runs the suite against a directory on a lab host,
// over SSH and SFTP.
func TestHostConformance(t *testing.T) {
	l := lab.Shared(t)
	h := l.Hosts[0]
	tr, err := h.Dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	var n atomic.Int64
	storetest.Run(t, func(t *testing.T) store.Store {
		return store.OnHost(tr, fmt.Sprintf("/var/lib/roma/store-test/%d", n.Add(1)))
	})
}

// TestHostLocalConformance runs it against the local transport.
func TestHostLocalConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return store.OnHost(remote.NewLocal("here"), t.TempDir()) })
}

// TestHostFull: a store whose disk fills up fails the write with
// ENOSPC and keeps nothing of it.
func TestHostFull(t *testing.T) {
	l := lab.Shared(t)
	h := l.Hosts[0]
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := "/var/lib/roma/full-store"
	unmount, err := h.MountTmpfs(ctx, dir, "1m")
	if err != nil {
		t.Fatal(err)
	}
	defer unmount()
	tr, err := h.Dial(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	s := store.OnHost(tr, dir)
	err = s.Put(ctx, "b/partition-0.rdb", strings.NewReader(strings.Repeat("x", 3<<20)))
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("put on a full disk: %v, want ENOSPC", err)
	}
	es, _ := s.List(ctx, "b")
	if len(es) != 0 {
		t.Errorf("the full store holds %v", es)
	}
}
