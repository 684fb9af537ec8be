package romad

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/status"
)

// fromQuorum runs read on every status node at once, each within timeout,
// and returns the values of those that answered, once a majority has
// answered and status.QuorumGrace has passed (or every node has, or the
// time is up). A status node that hangs does not hold romad up: any
// majority overlaps the majority every record is written to.
func fromQuorum[T any](ctx context.Context, clients map[string]*redis.Client, timeout time.Duration,
	read func(context.Context, *redis.Client) (T, error)) []T {
	type answer struct {
		v   T
		err error
	}
	ch := make(chan answer, len(clients))
	for _, c := range clients {
		go func() {
			rctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			v, err := read(rctx, c)
			ch <- answer{v, err}
		}()
	}
	var out []T
	var grace <-chan time.Time
	for range clients {
		select {
		case a := <-ch:
			if a.err != nil {
				continue
			}
			out = append(out, a.v)
			if grace == nil && len(out)*2 > len(clients) {
				grace = time.After(status.QuorumGrace)
			}
		case <-grace:
			return out
		}
	}
	return out
}
