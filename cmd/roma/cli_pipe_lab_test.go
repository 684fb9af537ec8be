package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/client/clienttest"
	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/providers/hash"
	"github.com/roma-redis/roma/status"
)

// TestCLIPipeFailover: roma cli --pipe streams SETs into a lab cluster;
// halfway, partition 0's master is demoted and its replica promoted, as
// romad would. The commands the old master turns away (READONLY) go
// through the client, which follows the new status: every command gets
// its reply, none is an error, and every key is on its partition's
// master with its value.
func TestCLIPipeFailover(t *testing.T) {
	dir, spec, st := labCluster(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	const n = 60000
	pr, pw := io.Pipe()
	var out, errOut bytes.Buffer
	done := make(chan int)
	go func() { done <- run([]string{"cli", "-c", dir, "--pipe"}, pr, &out, &errOut) }()
	write := func(lo, hi int) {
		var b bytes.Buffer
		for i := lo; i < hi; i++ {
			fmt.Fprintf(&b, "SET pf:%d v%d\n", i, i)
		}
		if _, err := pw.Write(b.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	masters := func(st *status.Status) []*redis.Client {
		var cs []*redis.Client
		for p := range spec.Partitions {
			c := plantest.NodeClient(spec, st.Master(p))
			t.Cleanup(func() { c.Close() })
			cs = append(cs, c)
		}
		return cs
	}
	total := func(cs []*redis.Client) int64 {
		var sum int64
		for _, c := range cs {
			k, err := c.DBSize(ctx).Result()
			if err != nil {
				t.Fatal(err)
			}
			sum += k
		}
		return sum
	}

	// The first half, until the masters stop growing: what is left is in
	// roma cli's buffers, not yet sent.
	write(0, n/2)
	before := masters(st)
	last, still := int64(-1), 0
	for still < 5 {
		time.Sleep(50 * time.Millisecond)
		if k := total(before); k == last {
			still++
		} else {
			last, still = k, 0
		}
	}
	t.Logf("%d of %d commands landed before the failover; the rest wait in roma cli", last, n/2)
	if last == 0 {
		t.Fatal("no command landed before the failover: roma cli did not stream")
	}
	old := st.Master(0)
	next, err := clienttest.Failover(ctx, spec, st, st.Partitions[0].Replicas[0], 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("partition 0: %s demoted, %s promoted", old, next.Master(0))
	write(n/2, n)
	pw.Close()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d; stdout %q, stderr %q", code, out.String(), errOut.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("roma cli --pipe did not end")
	}
	if m := regexp.MustCompile(`(?m)^errors: 0, replies: (\d+)$`).FindStringSubmatch(out.String()); m == nil || m[1] != strconv.Itoa(n) {
		t.Fatalf("stdout %q, want \"errors: 0, replies: %d\"; stderr %q", out.String(), n, errOut.String())
	}

	// Every key, on its partition's master now, with its value.
	h, err := hash.New(spec.Hash)
	if err != nil {
		t.Fatal(err)
	}
	after := masters(next)
	if k := total(after); k != n {
		t.Errorf("the masters hold %d keys, want %d", k, n)
	}
	pipes := make([]redis.Pipeliner, len(after))
	for p, c := range after {
		pipes[p] = c.Pipeline()
	}
	gets := make([]*redis.StringCmd, n)
	for i := range n {
		key := fmt.Sprintf("pf:%d", i)
		p, err := h.Partition([]byte(key), len(after))
		if err != nil {
			t.Fatal(err)
		}
		gets[i] = pipes[p].Get(ctx, key)
	}
	for _, p := range pipes {
		_, _ = p.Exec(ctx)
	}
	bad := 0
	for i, g := range gets {
		if v, err := g.Result(); v != fmt.Sprintf("v%d", i) {
			if bad++; bad <= 5 {
				t.Errorf("pf:%d on its partition's master: %q, %v", i, v, err)
			}
		}
	}
	if bad > 5 {
		t.Errorf("... %d keys wrong in all", bad)
	}
}
