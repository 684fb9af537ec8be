package redisconn

import (
	"context"
	"fmt"
	"time"
)

// askAgain runs do until it succeeds or fails for good: as long as
// refused says its error is a refusal for now (a node loading, or busy
// writing a file), it asks again every interval, for at most wait. The
// error it gives up with says why: "(still <still> after <wait>)", or the
// context's end.
func askAgain(ctx context.Context, wait, interval time.Duration, still string, do func() error, refused func(error) bool) error {
	deadline := time.Now().Add(wait)
	for {
		err := do()
		if err == nil || !refused(err) {
			return err
		}
		if !time.Now().Add(interval).Before(deadline) {
			return fmt.Errorf("%w (still %s after %s)", err, still, wait)
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (%w while asking again)", err, ctx.Err())
		case <-t.C:
		}
	}
}
