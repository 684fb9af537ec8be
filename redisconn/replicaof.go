package redisconn

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// loadingRetry is how often ReplicaOf asks again a node that is loading.
const loadingRetry = 50 * time.Millisecond

// ReplicaOf sends REPLICAOF host port to c's node ("no", "one" makes it a
// master). A node that is loading a dataset, its own at start or its
// master's in a full sync, refuses with LOADING: ReplicaOf then asks again
// until the load is over, for at most wait.
func ReplicaOf(ctx context.Context, c *redis.Client, host, port string, wait time.Duration) error {
	return askAgain(ctx, wait, loadingRetry, "loading",
		func() error { return c.ReplicaOf(ctx, host, port).Err() }, redis.IsLoadingError)
}
