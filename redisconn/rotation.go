package redisconn

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/client/resp"
)

// WithPrevious has o's connections authenticate with previous when the
// node refuses o's password: during a password rotation, a node not yet
// given the new password accepts only the one it replaces. Each new
// connection is authenticated by the dialer (AUTH with o's password, then
// with previous on WRONGPASS), so go-redis sends no AUTH of its own. o is
// left as it is when previous or o's password is empty.
func WithPrevious(o *redis.Options, previous string) *redis.Options {
	if previous == "" || o.Password == "" {
		return o
	}
	password := o.Password
	dial := o.Dialer
	if dial == nil {
		d := &net.Dialer{Timeout: o.DialTimeout, KeepAlive: 5 * time.Minute}
		dial = d.DialContext
	}
	timeout := o.DialTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	o.Password = ""
	o.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if err := Auth(ctx, conn, password, previous, timeout); err != nil {
			conn.Close()
			return nil, err
		}
		return conn, nil
	}
	return o
}

// Auth authenticates conn, a new connection to a node, with password, or
// with previous (when not empty) if the node answers WRONGPASS, within
// timeout. A refusal is the server's error, a redis.Error.
func Auth(ctx context.Context, conn net.Conn, password, previous string, timeout time.Duration) error {
	err := auth(ctx, conn, password, timeout)
	if err != nil && previous != "" && strings.HasPrefix(err.Error(), "WRONGPASS") {
		err = auth(ctx, conn, previous, timeout)
	}
	return err
}

// auth sends AUTH password on conn and reads the one-line reply: nil for
// +OK, the server's error otherwise (a redis.Error, as go-redis returns).
func auth(ctx context.Context, conn net.Conn, password string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	defer conn.SetDeadline(time.Time{})
	if _, err := conn.Write(resp.AppendCommand(nil, "AUTH", password)); err != nil {
		return fmt.Errorf("AUTH: %w", err)
	}
	// Nothing else comes before the reply to a command not yet sent, so a
	// buffered reader reads the reply and no further.
	v, err := resp.NewReader(bufio.NewReaderSize(conn, 512)).Read()
	switch {
	case err != nil:
		return fmt.Errorf("AUTH: %w", err)
	case v.IsError():
		return authError(v.Str)
	case v.Type == resp.SimpleString && v.Str == "OK":
		return nil
	}
	return fmt.Errorf("AUTH: unexpected reply %v", v)
}

// authError is a server's error reply to AUTH; like go-redis's own, it
// satisfies redis.Error.
type authError string

func (e authError) Error() string { return string(e) }

// RedisError marks it as a reply of the server (redis.Error).
func (authError) RedisError() {}

var _ redis.Error = authError("")

// RefusesPassword reports whether err is a node's refusal of the password
// a connection gave it, or of a connection that gave none: WRONGPASS,
// NOAUTH, or the "invalid password" of Redis before 6.
func RefusesPassword(err error) bool {
	return err != nil && PasswordRefusal(err.Error())
}

// PasswordRefusal is RefusesPassword for an error's text.
func PasswordRefusal(msg string) bool {
	return strings.Contains(msg, "WRONGPASS") || strings.Contains(msg, "NOAUTH") || strings.Contains(msg, "invalid password")
}
