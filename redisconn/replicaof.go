package redisconn

import (
	"context"
	"fmt"
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
	deadline := time.Now().Add(wait)
	for {
		err := c.ReplicaOf(ctx, host, port).Err()
		if err == nil || !redis.IsLoadingError(err) {
			return err
		}
		if !time.Now().Add(loadingRetry).Before(deadline) {
			return fmt.Errorf("%w (still loading after %s)", err, wait)
		}
		t := time.NewTimer(loadingRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (%w while waiting for the load to end)", err, ctx.Err())
		case <-t.C:
		}
	}
}
