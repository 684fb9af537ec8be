package romad

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/status"
)

// fromQuorum reads from every status node at once, within timeout, and
// returns what those that answered without error said, once a majority has
// (or can no longer), with status.QuorumGrace for the others. A status node
// that hangs does not hold romad up: any majority overlaps the majority
// every record is written to.
func fromQuorum[T any](ctx context.Context, clients map[string]*redis.Client, timeout time.Duration,
	read func(context.Context, *redis.Client) (T, error)) []T {
	var out []T
	for _, a := range status.Gather(ctx, clients, timeout, read, status.SettledBy(len(clients), status.Answered[T]), status.QuorumGrace) {
		if a.Err == nil {
			out = append(out, a.Val)
		}
	}
	return out
}
