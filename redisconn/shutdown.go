package redisconn

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// shutdownRetry is how often Shutdown asks again a node that refused.
const shutdownRetry = 100 * time.Millisecond

// Shutdown sends SHUTDOWN with args (SAVE, NOSAVE, NOW...) to c's node and
// returns nil once the node has gone: it closed the connection, or
// cannot be reached at all. A node that refuses for now, as Redis does
// while it writes its first append-only file (after a full sync, or
// appendonly just turned on: "Writing initial AOF, can't exit" in its
// log), is asked again until it goes, for at most wait. A stop that
// does not wait would leave it to the service manager, whose SIGTERM is
// refused too, and then to SIGKILL.
func Shutdown(ctx context.Context, c *redis.Client, wait time.Duration, args ...any) error {
	return askAgain(ctx, wait, shutdownRetry, "refusing", func() error {
		if err := c.Do(ctx, append([]any{"SHUTDOWN"}, args...)...).Err(); !gone(err) {
			return err
		}
		return nil
	}, func(err error) bool {
		var rerr redis.Error
		return errors.As(err, &rerr) && strings.HasPrefix(err.Error(), "ERR Errors trying to SHUTDOWN")
	})
}

// gone reports whether err says the node closed the connection, or is
// not there.
func gone(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, net.ErrClosed)
}
