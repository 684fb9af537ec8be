package redisconn

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
)

// failOnUse returns o's dialer (go-redis's own when o has none), changed
// so that a dial the network refuses gives the pool a connection that
// fails at its first use with the dial's error, instead of the error.
//
// go-redis's pool counts failed dials: after PoolSize of them in a row it
// stops dialling and returns the last error, until a probe in the
// background, once a second, gets through (go-redis issue #3062). A node
// back from a restart would look down for up to a second more: romad
// would fail over, or declare HALT for, a master that is up again, and
// clients would fail commands it could run. With this, every command
// dials while the node is down, and the first one after it is back
// succeeds. The price: a host that does not answer at all costs each
// command its DialTimeout, as the first PoolSize commands always paid,
// where the pool would have failed the rest at once; roma's callers wait
// for a failover in that case anyway.
//
// The caller sees the same error, at the same moment: the command fails
// with the dial's *net.OpError (wrapped in dialError), and go-redis drops
// the connection as bad. Errors that are not the network's (a password
// refused during WithPrevious's AUTH) are returned as they are.
func failOnUse(o *redis.Options) func(ctx context.Context, network, addr string) (net.Conn, error) {
	dial := o.Dialer
	if dial == nil {
		dial = redis.NewDialer(o)
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		var ne net.Error
		if err != nil && errors.As(err, &ne) {
			return failedConn{err: dialError{err}, addr: failedAddr{network, addr}}, nil
		}
		return conn, err
	}
}

// Connected reports whether err, a command's error, came after a
// connection to the server was made: something listens at its address,
// and it failed a read or a write there, closed the connection, or
// replied (an error, or what is not Redis's protocol). A dial that failed
// (nothing listens there, or the address is out of reach) and a context
// that ended say nothing of what listens.
func Connected(err error) bool {
	var op *net.OpError
	switch {
	case err == nil:
		return true
	case errors.As(err, &op):
		return op.Op != "dial"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	}
	return true
}

// dialError is a failed dial's error, as a failedConn gives it. It is a
// net.Error that is never a timeout, even when the dial timed out: to
// go-redis, a timeout on a connection that works (a subscriber waiting
// for a message) is no reason to drop it, and this connection must go.
// It unwraps to the dial's error: go-redis unwraps an error from a new
// connection's AUTH once, and the caller then gets the *net.OpError.
type dialError struct{ err error }

func (e dialError) Error() string   { return e.err.Error() }
func (e dialError) Unwrap() error   { return e.err }
func (e dialError) Timeout() bool   { return false }
func (e dialError) Temporary() bool { return false }

// failedConn is a connection whose dial failed with err: every read and
// write returns err.
type failedConn struct {
	err  error
	addr net.Addr
}

func (c failedConn) Read([]byte) (int, error)         { return 0, c.err }
func (c failedConn) Write([]byte) (int, error)        { return 0, c.err }
func (c failedConn) Close() error                     { return nil }
func (c failedConn) LocalAddr() net.Addr              { return c.addr }
func (c failedConn) RemoteAddr() net.Addr             { return c.addr }
func (c failedConn) SetDeadline(time.Time) error      { return nil }
func (c failedConn) SetReadDeadline(time.Time) error  { return nil }
func (c failedConn) SetWriteDeadline(time.Time) error { return nil }

// failedAddr is the address a failed dial was for.
type failedAddr struct{ network, addr string }

func (a failedAddr) Network() string { return a.network }
func (a failedAddr) String() string  { return a.addr }
