package redisconn_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/redisconn/redistest"
)

// TestWithPrevious: against a real redis-server, a client given a new
// password and the previous one gets in with whichever the node accepts,
// in both a command and a pipeline, and fails as go-redis does
// (WRONGPASS, on every command) when it accepts neither.
func TestWithPrevious(t *testing.T) {
	const oldPW, newPW = "the-old-password", "the-new-password"
	addr := redistest.Start(t, oldPW).Addr
	ctx := context.Background()
	dial := func(password, previous string) *redis.Client {
		c := redisconn.NewClient(redisconn.WithPrevious(redisconn.Options(addr, password, time.Second, 1), previous))
		t.Cleanup(func() { c.Close() })
		return c
	}
	whoami := func(c *redis.Client) error {
		_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Ping(ctx)
			p.Set(ctx, "k", "v", 0)
			return nil
		})
		return err
	}

	// The node knows only the old password.
	if err := whoami(dial(newPW, oldPW)); err != nil {
		t.Fatalf("new password refused, previous accepted: %v", err)
	}
	if err := whoami(dial(newPW, "not-the-password")); err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
		t.Fatalf("neither password accepted: %v, want WRONGPASS", err)
	}
	c := dial(newPW, "not-the-password")
	p := c.Pipeline()
	ping, get := p.Ping(ctx), p.Get(ctx, "k")
	_, _ = p.Exec(ctx)
	for _, cmd := range []redis.Cmder{ping, get} {
		if cmd.Err() == nil || !strings.Contains(cmd.Err().Error(), "WRONGPASS") {
			t.Errorf("%s with neither password accepted: %v, want WRONGPASS", cmd.Name(), cmd.Err())
		}
	}
	var rerr redis.Error
	if err := dial(newPW, "not-the-password").Ping(ctx).Err(); !isRedisError(err, &rerr) {
		t.Errorf("the refusal %v is not a redis.Error", err)
	}

	// Now it knows only the new one: the new one is tried first.
	admin := dial(newPW, oldPW)
	if err := admin.Do(ctx, "ACL", "SETUSER", "default", "resetpass", ">"+newPW).Err(); err != nil {
		t.Fatal(err)
	}
	if err := whoami(dial(newPW, "not-the-password")); err != nil {
		t.Fatalf("new password accepted: %v", err)
	}
	if err := whoami(dial(oldPW, "")); err == nil {
		t.Fatal("the old password is still accepted after resetpass")
	}
}

func isRedisError(err error, target *redis.Error) bool {
	if err == nil {
		return false
	}
	e, ok := err.(redis.Error)
	*target = e
	return ok
}
