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

// TestExec: against a real redis-server, a pipeline of a client from
// NewClient whose AUTH is refused gives every command the error (go-redis alone leaves them looking like
// empty replies), and a pipeline with one failing command keeps the
// others' replies.
func TestExec(t *testing.T) {
	addr := redistest.Start(t, "the-right-password").Addr
	ctx := context.Background()

	wrong := redisconn.New(addr, "a-wrong-password", time.Second, 1)
	defer wrong.Close()
	p := wrong.Pipeline()
	ping := p.Ping(ctx)
	set := p.Set(ctx, "k", "v", 0)
	_, err := p.Exec(ctx)
	if err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
		t.Fatalf("Exec with a wrong password: %v, want WRONGPASS", err)
	}
	for _, c := range []redis.Cmder{ping, set} {
		if c.Err() == nil || !strings.Contains(c.Err().Error(), "WRONGPASS") {
			t.Errorf("%s: error %v, want WRONGPASS", c.Name(), c.Err())
		}
	}

	right := redisconn.New(addr, "the-right-password", time.Second, 1)
	defer right.Close()
	p = right.Pipeline()
	set = p.Set(ctx, "k", "v", 0)
	incr := p.Incr(ctx, "k") // not a number
	get := p.Get(ctx, "k")
	_, err = p.Exec(ctx)
	if err == nil || incr.Err() == nil {
		t.Fatalf("INCR of a string: Exec %v, INCR %v; want errors", err, incr.Err())
	}
	if set.Err() != nil || get.Val() != "v" || get.Err() != nil {
		t.Errorf("the other commands: SET %v, GET %q %v; want their replies", set.Err(), get.Val(), get.Err())
	}
}
