package redisconn

import (
	"context"
	"errors"
	"fmt"
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
	deadline := time.Now().Add(wait)
	for {
		err := c.Do(ctx, append([]any{"SHUTDOWN"}, args...)...).Err()
		if err == nil || gone(err) {
			return nil
		}
		var rerr redis.Error
		if !errors.As(err, &rerr) || !strings.HasPrefix(err.Error(), "ERR Errors trying to SHUTDOWN") {
			return err
		}
		if !time.Now().Add(shutdownRetry).Before(deadline) {
			return fmt.Errorf("%w (still refusing after %s: see its log)", err, wait)
		}
		t := time.NewTimer(shutdownRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (%w while asking again)", err, ctx.Err())
		case <-t.C:
		}
	}
}

// gone reports whether err says the node closed the connection, or is
// not there.
func gone(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, net.ErrClosed)
}
