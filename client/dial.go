package client

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/roma-redis/roma/client/resp"
	"github.com/roma-redis/roma/redisconn"
)

// DialNode opens a connection of the caller's own to node n: dialled
// within the client's DialTimeout, authenticated with the cluster password
// and on n's database. It is for callers that speak RESP themselves, as
// roma cli --pipe does to stream commands without waiting for replies.
// The caller closes it.
func (c *Client) DialNode(ctx context.Context, n Node) (net.Conn, error) {
	d := net.Dialer{Timeout: c.opt.DialTimeout}
	conn, err := d.DialContext(ctx, "tcp", n.Addr)
	if err != nil {
		return nil, fmt.Errorf("client: connect to node %s (%s): %w", n.Name, n.Addr, err)
	}
	var req []byte
	var names []string
	timeout := c.opt.ReadTimeout
	if timeout <= 0 {
		timeout = c.opt.DialTimeout
	}
	fail := func(err error) (net.Conn, error) {
		conn.Close()
		return nil, fmt.Errorf("client: node %s (%s): %w", n.Name, n.Addr, c.opt.Password.RedactError(err))
	}
	if pw := c.opt.Password; pw.IsSet() {
		// The previous password too, during a rotation.
		if err := redisconn.Auth(ctx, conn, pw.Reveal(), pw.Previous().Reveal(), timeout); err != nil {
			return fail(fmt.Errorf("AUTH: %w", err))
		}
	}
	if n.DB != 0 {
		req = resp.AppendCommand(req, "SELECT", strconv.Itoa(n.DB))
		names = append(names, "SELECT")
	}
	if len(req) == 0 {
		return conn, nil
	}
	_ = conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write(req); err != nil {
		return fail(err)
	}
	// Unbuffered: nothing but these replies comes before the caller's own
	// commands, and a buffered reader could not hand back what it read
	// ahead.
	r := resp.NewReader(oneByte{conn})
	for _, name := range names {
		v, err := r.Read()
		if err != nil {
			return fail(fmt.Errorf("%s: %w", name, err))
		}
		if v.IsError() {
			return fail(fmt.Errorf("%s: %s", name, v.Str))
		}
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, nil
}

// oneByte reads one byte at a time, so that a bufio.Reader over it never
// reads past what it is asked for.
type oneByte struct{ c net.Conn }

func (o oneByte) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.c.Read(p)
}
