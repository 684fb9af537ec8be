package romad

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/roma-redis/roma/client"
	"github.com/roma-redis/roma/status"
)

// romadClient runs a romad of the pair, waits for its OK status under
// n1, and returns a client built from roma.hcl with o's tuning, closed
// when the test ends.
func (p *pair) romadClient(t *testing.T, o client.Options) *client.Client {
	t.Helper()
	runRomad(t, p.spec)
	p.waitStatus(t, "OK under n1", func(s *status.Status) bool { return s.State == status.OK && s.Partitions[0].Master == "n1" })
	c, err := client.NewFromSpec(context.Background(), p.spec, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// writeLoad is what writers of a client test did: the keys whose writes
// were acknowledged, and the errors of those that failed.
type writeLoad struct {
	acked   []string
	ackedAt []time.Time // when each of acked was acknowledged
	failed  []error
}

// startWriters starts n writers that call write(w, i) for their i-th
// write, 2ms apart, until ctx ends; write returns the key it wrote. The
// returned func waits for them to end (after ctx has) and gathers what
// they did; a write that failed because ctx ended is not counted.
func startWriters(ctx context.Context, n int, write func(w, i int) (string, error)) (gather func() writeLoad) {
	res := make([]writeLoad, n)
	var wg sync.WaitGroup
	for w := range n {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				k, err := write(w, i)
				switch {
				case err == nil:
					res[w].acked = append(res[w].acked, k)
					res[w].ackedAt = append(res[w].ackedAt, time.Now())
				case ctx.Err() == nil || !errors.Is(err, context.Canceled):
					res[w].failed = append(res[w].failed, err)
				}
				time.Sleep(2 * time.Millisecond)
			}
		})
	}
	return func() writeLoad {
		wg.Wait()
		var all writeLoad
		for _, r := range res {
			all.acked = append(all.acked, r.acked...)
			all.ackedAt = append(all.ackedAt, r.ackedAt...)
			all.failed = append(all.failed, r.failed...)
		}
		return all
	}
}
