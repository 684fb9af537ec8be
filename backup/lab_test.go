package backup

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/providers/store"
)

func TestMain(m *testing.M) { os.Exit(lab.Main(m, lab.Options{Hosts: 1})) }

// TestRunFullStore: a store on a host whose disk fills up fails the
// backup with the host's "no space left"; nothing stays in the store.
func TestRunFullStore(t *testing.T) {
	l := lab.Shared(t)
	h := l.Hosts[0]
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := "/var/lib/roma/full-backups"
	unmount, err := h.MountTmpfs(ctx, dir, "2m")
	if err != nil {
		t.Fatal(err)
	}
	defer unmount()
	tr, err := h.Dial(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	c := newTestCluster(t, []int{0, 0})
	c.nodes[0][0].fill(t, 5)
	pipe := c.nodes[1][0].Pipeline() // ~3 MB that does not compress
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range 3000 {
		v := make([]byte, 1000)
		for j := range v {
			v[j] = byte(rng.Uint32())
		}
		pipe.Set(ctx, fmt.Sprintf("k%d", i), v, 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	st := store.OnHost(tr, dir)
	_, err = Run(ctx, c.spec, st, Options{})
	// Partitions are fetched in parallel: whichever finds the store full
	// first (the large one, or the small one once the large one filled
	// it) names itself.
	if err == nil || !strings.Contains(err.Error(), "partition ") || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("backup into a full store: %v", err)
	}
	t.Logf("error: %v", err)
	if all, err := List(ctx, st, "shop"); err != nil || len(all) != 0 {
		t.Errorf("the full store keeps %+v (%v)", all, err)
	}
	es, _ := st.List(ctx, "shop")
	if len(es) != 0 {
		t.Errorf("left in the store: %+v", es)
	}
}
