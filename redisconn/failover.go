package redisconn

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// failoverRetry is how often Failover asks again a master that refused.
const failoverRetry = 100 * time.Millisecond

// Failover sends FAILOVER TO host port TIMEOUT timeout to c's node, a
// master. The master refuses a replica it does not count as online yet:
// still syncing, or synced but not yet acknowledged (its first REPLCONF
// ACK, a moment after its link is up, which is when a rolling restart
// hands over). Failover then asks again until the replica is online, for
// at most wait. It returns once the handover has begun; the roles swap a
// moment later.
func Failover(ctx context.Context, c *redis.Client, host string, port int, timeout, wait time.Duration) error {
	return askAgain(ctx, wait, failoverRetry, "not online",
		func() error {
			return c.Do(ctx, "FAILOVER", "TO", host, strconv.Itoa(port), "TIMEOUT", strconv.FormatInt(timeout.Milliseconds(), 10)).Err()
		},
		func(err error) bool { return strings.Contains(err.Error(), "not online") })
}
