package redisconn

import (
	"context"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// startRedis starts a redis-server on a free loopback port with password.
func startRedis(t *testing.T, password string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--requirepass", password,
		"--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Skipf("redis-server: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for range 100 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("redis-server on %s did not start", addr)
	return ""
}

// TestExec: against a real redis-server, a pipeline whose AUTH is refused
// gives every command the error (go-redis alone leaves them looking like
// empty replies), and a pipeline with one failing command keeps the
// others' replies.
func TestExec(t *testing.T) {
	addr := startRedis(t, "the-right-password")
	ctx := context.Background()

	wrong := New(addr, "a-wrong-password", time.Second, 1)
	defer wrong.Close()
	p := wrong.Pipeline()
	ping := p.Ping(ctx)
	set := p.Set(ctx, "k", "v", 0)
	err := Exec(ctx, p)
	if err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
		t.Fatalf("Exec with a wrong password: %v, want WRONGPASS", err)
	}
	for _, c := range []redis.Cmder{ping, set} {
		if c.Err() == nil || !strings.Contains(c.Err().Error(), "WRONGPASS") {
			t.Errorf("%s: error %v, want WRONGPASS", c.Name(), c.Err())
		}
	}

	right := New(addr, "the-right-password", time.Second, 1)
	defer right.Close()
	p = right.Pipeline()
	set = p.Set(ctx, "k", "v", 0)
	incr := p.Incr(ctx, "k") // not a number
	get := p.Get(ctx, "k")
	err = Exec(ctx, p)
	if err == nil || incr.Err() == nil {
		t.Fatalf("INCR of a string: Exec %v, INCR %v; want errors", err, incr.Err())
	}
	if set.Err() != nil || get.Val() != "v" || get.Err() != nil {
		t.Errorf("the other commands: SET %v, GET %q %v; want their replies", set.Err(), get.Val(), get.Err())
	}
}
