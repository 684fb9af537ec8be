package backup

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/redisconn/redistest"
)

// testRedis is a redis-server a test started on 127.0.0.1.
type testRedis struct {
	Addr string
	Dir  string
	Port int
	*redis.Client
}

// startRedis starts a redis-server for the test with extra arguments
// ("--repl-diskless-sync", "yes", ...). It has no password unless args
// set one. It fails the test when redis-server is missing: the tests run
// against the real thing.
func startRedis(t testing.TB, password string, args ...string) *testRedis {
	t.Helper()
	srv := redistest.Start(t, password, append([]string{"--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0"}, args...)...)
	r := &testRedis{Addr: srv.Addr, Dir: srv.Dir, Port: srv.Port}
	r.Client = redis.NewClient(&redis.Options{Addr: r.Addr, Password: password, Protocol: 2, DisableIdentity: true})
	t.Cleanup(func() { r.Client.Close() })
	return r
}

// do runs a command and fails the test on error.
func (r *testRedis) do(t testing.TB, args ...any) any {
	t.Helper()
	v, err := r.Do(context.Background(), args...).Result()
	if err != nil {
		t.Fatalf("%v on %s: %v", args, r.Addr, err)
	}
	return v
}

// save makes the server write dump.rdb and returns its content.
func (r *testRedis) save(t testing.TB) []byte {
	t.Helper()
	r.do(t, "SAVE")
	b, err := os.ReadFile(filepath.Join(r.Dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fill writes a dataset with every kind of value Redis has, in their
// compact and their large encodings, in databases 0 and 3, with TTLs. It
// returns how many keys it wrote and how many have a TTL.
func (r *testRedis) fill(t testing.TB, n int) (keys, expires int) {
	t.Helper()
	ctx := context.Background()
	big := make([]any, 0, 600)
	for i := range 300 {
		big = append(big, fmt.Sprintf("f%d", i), fmt.Sprintf("v%d", i))
	}
	for _, db := range []int{0, 3} {
		c := redis.NewClient(&redis.Options{Addr: r.Addr, Password: r.Options().Password, DB: db, Protocol: 2, DisableIdentity: true})
		p := c.Pipeline()
		for i := range n {
			k := func(kind string) string { return fmt.Sprintf("%s:%d:%d", kind, db, i) }
			p.Set(ctx, k("int"), i, 0)
			p.Set(ctx, k("str"), fmt.Sprintf("value-%d", i), 0)
			p.Set(ctx, k("lzf"), fmt.Sprintf("%0500d", i), 0) // compressible: stored LZF
			p.RPush(ctx, k("list"), "a", "b", i)
			p.SAdd(ctx, k("intset"), 1, 2, i+3)
			p.SAdd(ctx, k("set"), "x", "y", fmt.Sprint(i))
			p.ZAdd(ctx, k("zset"), redis.Z{Score: 1.5, Member: "a"}, redis.Z{Score: float64(i), Member: "b"})
			p.HSet(ctx, k("hash"), "f", i, "g", "h")
			p.XAdd(ctx, &redis.XAddArgs{Stream: k("stream"), Values: []any{"f", i}})
			p.Set(ctx, k("ttl"), i, time.Hour)
			keys += 10
			expires++
		}
		// Large encodings: quicklist, hashtable set and hash, skiplist zset.
		for i := 0; i < 600; i++ {
			p.RPush(ctx, "biglist", i)
			p.SAdd(ctx, "bigset", fmt.Sprintf("m%d", i))
			p.ZAdd(ctx, "bigzset", redis.Z{Score: float64(i), Member: fmt.Sprintf("m%d", i)})
		}
		p.HSet(ctx, "bighash", big...)
		p.RPush(ctx, "plainlist", string(make([]byte, 20000))) // a plain quicklist node
		keys += 5
		// A stream with a consumer group, pending entries and a consumer.
		p.XAdd(ctx, &redis.XAddArgs{Stream: "events", ID: "1-1", Values: []any{"a", 1}})
		p.XAdd(ctx, &redis.XAddArgs{Stream: "events", ID: "2-1", Values: []any{"a", 2}})
		p.XGroupCreate(ctx, "events", "g1", "0")
		p.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g1", Consumer: "c1", Streams: []string{"events", ">"}})
		keys++
		p.PExpire(ctx, "bigset", 2*time.Hour)
		expires++
		if _, err := p.Exec(ctx); err != nil {
			t.Fatalf("filling %s db %d: %v", r.Addr, db, err)
		}
		c.Close()
	}
	return keys, expires
}
