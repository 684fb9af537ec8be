package redisconn

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// loadingRetry is how often a node that is loading is asked again.
const loadingRetry = 50 * time.Millisecond

// ReplicaOf sends REPLICAOF host port to c's node ("no", "one" makes it a
// master). A node that is loading a dataset, its own at start or its
// master's in a full sync, refuses with LOADING: ReplicaOf then asks again
// until the load is over, however long it takes, as long as it moves on:
// it gives up when the load has not moved on for stall.
func ReplicaOf(ctx context.Context, c *redis.Client, host, port string, stall time.Duration) error {
	return WaitProgress(ctx, stall, loadingRetry, func(ctx context.Context) (bool, []int64, error) {
		err := c.ReplicaOf(ctx, host, port).Err()
		if !redis.IsLoadingError(err) {
			return true, nil, err
		}
		if _, loaded, ierr := loadingOf(ctx, c); ierr == nil {
			return false, []int64{loaded}, err
		}
		return false, nil, err
	})
}
