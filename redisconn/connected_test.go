package redisconn_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/redisconn/redistest"
)

// TestConnected: an error after the connection was made (something
// listens that is silent, closes the connection, or answers what is not
// Redis) is told from a dial that failed (nothing listens) and from a
// context that ended first, by a plain command and by a pipeline, with a
// password given at connect and during a rotation.
func TestConnected(t *testing.T) {
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return addr
	}()
	server := redistest.Start(t, "connected-test")
	for _, tc := range []struct {
		name   string
		addr   string
		cancel bool // the context ends before the command
		want   bool
	}{
		{"nothing listens", closed, false, false},
		{"out of reach (the dial times out)", redistest.Unreachable(t), false, false},
		{"silent", redistest.Listen(t, func(net.Conn) {}), false, true},
		{"closes at once", redistest.Listen(t, func(c net.Conn) { c.Close() }), false, true},
		{"answers HTTP", redistest.Listen(t, func(c net.Conn) {
			c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
		}), false, true},
		{"answers SSH", redistest.Listen(t, func(c net.Conn) { c.Write([]byte("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")) }), false, true},
		{"a context that ended", closed, true, false},
		{"Redis, with another password", server.Addr, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, rotation := range []bool{false, true} {
				o := redisconn.Options(tc.addr, "not-its-password", 500*time.Millisecond, 1)
				if rotation {
					o = redisconn.WithPrevious(o, "nor-this-one")
				}
				c := redisconn.NewClient(o)
				ctx, cancel := context.WithCancel(context.Background())
				if tc.cancel {
					cancel()
				}
				perr := c.Ping(ctx).Err()
				_, pipeErr := c.Pipelined(ctx, func(p redis.Pipeliner) error {
					p.Ping(ctx)
					p.Info(ctx, "server")
					return nil
				})
				cancel()
				c.Close()
				for what, err := range map[string]error{"PING": perr, "pipeline": pipeErr} {
					if err == nil {
						t.Fatalf("%s (rotation %v): no error", what, rotation)
					}
					if got := redisconn.Connected(err); got != tc.want {
						t.Errorf("%s (rotation %v): Connected(%v (%T)) = %v, want %v", what, rotation, err, err, got, tc.want)
					}
				}
			}
		})
	}
}
