package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// SSH is the Transport for a host reached over SSH. It holds one
// connection, dialled on first use and again after it breaks, shared by
// every command session and one SFTP client. It is safe for concurrent use.
type SSH struct {
	cfg SSHConfig

	mu      sync.Mutex
	conn    *sshConn // nil until dialled, and after the connection breaks
	dialing *dial    // the dial in progress, if any
	closed  bool
}

// sshConn is one live connection and its lazily started SFTP client.
type sshConn struct {
	client *ssh.Client
	done   chan struct{} // closed when the connection has ended

	sftpMu    sync.Mutex
	sftpReady chan struct{} // closed once sftp or sftpErr is set; nil before the first try
	sftp      *sftp.Client
	sftpErr   error
}

// NewSSH returns an SSH transport for cfg without connecting yet.
func NewSSH(cfg SSHConfig) (*SSH, error) {
	rc, err := cfg.resolve()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Host, err)
	}
	return &SSH{cfg: rc}, nil
}

// DialSSH returns an SSH transport for cfg, connected.
func DialSSH(ctx context.Context, cfg SSHConfig) (*SSH, error) {
	s, err := NewSSH(cfg)
	if err != nil {
		return nil, err
	}
	if err := s.Connect(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Name returns the host's name.
func (s *SSH) Name() string { return s.cfg.Host }

// Config returns the resolved configuration.
func (s *SSH) Config() SSHConfig { return s.cfg }

// Connect dials the host now unless a connection is already up.
func (s *SSH) Connect(ctx context.Context) error {
	_, err := s.connect(ctx)
	return err
}

// Close closes the connection. Later calls fail.
func (s *SSH) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.conn == nil {
		return nil
	}
	err := s.conn.close()
	s.conn = nil
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

var errClosed = errors.New("transport closed")

// connect returns the live connection, dialling one if needed. Callers
// arriving during a dial wait for it (as long as their ctx allows) and
// share its outcome, rather than queue up dials of their own.
func (s *SSH) connect(ctx context.Context) (*sshConn, error) {
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, wrap(s.cfg.Host, "connect", "", errClosed)
		}
		if c := s.conn; c != nil {
			select {
			case <-c.done:
				s.conn = nil
			default:
				s.mu.Unlock()
				return c, nil
			}
		}
		if d := s.dialing; d != nil {
			s.mu.Unlock()
			select {
			case <-d.done:
			case <-ctx.Done():
				return nil, s.gaveUp(ctx)
			}
			// A dial that failed for its caller's context says nothing
			// about the host: try again with this one's.
			if d.err != nil && !errors.Is(d.err, context.Canceled) && !errors.Is(d.err, context.DeadlineExceeded) {
				return nil, d.err
			}
			continue
		}
		d := &dial{done: make(chan struct{})}
		s.dialing = d
		s.mu.Unlock()

		client, err := dialSSH(ctx, s.cfg)
		var c *sshConn
		s.mu.Lock()
		switch {
		case err != nil:
		case s.closed:
			client.Close()
			err = wrap(s.cfg.Host, "connect", "", errClosed)
		default:
			c = newSSHConn(client, s.cfg)
			s.conn = c
		}
		s.dialing, d.err = nil, err
		close(d.done)
		s.mu.Unlock()
		return c, err
	}
}

// gaveUp is the error of an operation whose ctx ended while it waited for
// the connection.
func (s *SSH) gaveUp(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return wrap(s.cfg.Host, "connect", "", ctx.Err())
	}
	return &ConnError{Host: s.cfg.Host, Addr: s.cfg.addr(), Kind: ErrUnreachable,
		Err:  fmt.Errorf("not connected when the operation's time ran out: %w", ctx.Err()),
		Hint: "is the host up and its SSH port open?"}
}

// dial is a dial in progress; err is set before done is closed.
type dial struct {
	done chan struct{}
	err  error
}

func newSSHConn(client *ssh.Client, cfg SSHConfig) *sshConn {
	c := &sshConn{client: client, done: make(chan struct{})}
	go func() {
		client.Wait()
		close(c.done)
	}()
	go c.keepalive(cfg.Keepalive, cfg.KeepaliveMax)
	return c
}

// dropConn closes the current connection, if any, so that the next
// operation dials a new one. A connection that failed under one operation
// may not have noticed yet that it is dead.
func (s *SSH) dropConn() {
	s.mu.Lock()
	c := s.conn
	s.conn = nil
	s.mu.Unlock()
	if c != nil {
		c.close()
	}
}

// sftpClient returns the connection's SFTP client, starting it if needed.
// Starting it takes a round trip, which ctx bounds.
func (s *SSH) sftpClient(ctx context.Context) (*sshConn, *sftp.Client, error) {
	c, err := s.connect(ctx)
	if err != nil {
		return nil, nil, err
	}
	c.sftpMu.Lock()
	if c.sftpReady == nil {
		ready := make(chan struct{})
		c.sftpReady = ready
		go func() {
			sc, err := sftp.NewClient(c.client,
				sftp.UseConcurrentWrites(true),
				sftp.MaxPacketUnchecked(sftpPacket),
				sftp.MaxConcurrentRequestsPerFile(64),
			)
			c.sftpMu.Lock()
			if err != nil {
				c.sftpReady = nil // the next caller tries again
			}
			c.sftp, c.sftpErr = sc, err
			close(ready)
			c.sftpMu.Unlock()
		}()
	}
	ready := c.sftpReady
	c.sftpMu.Unlock()
	select {
	case <-ready:
	case <-ctx.Done():
		return nil, nil, s.gaveUp(ctx)
	}
	c.sftpMu.Lock()
	sc, err := c.sftp, c.sftpErr
	c.sftpMu.Unlock()
	if sc == nil {
		return nil, nil, s.lost(c, "sftp", "", err)
	}
	return c, sc, nil
}

// sftpPacket is the SFTP data size per request: OpenSSH accepts up to
// 256 KiB messages; larger packets make big pushes several times faster.
const sftpPacket = 255 * 1024

func (c *sshConn) close() error {
	c.sftpMu.Lock()
	sc := c.sftp
	c.sftpMu.Unlock()
	if sc != nil {
		sc.Close()
	}
	return c.client.Close()
}

// keepalive sends keepalive@openssh.com every interval and closes the
// connection when max intervals pass without an answer.
func (c *sshConn) keepalive(interval time.Duration, max int) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		reply := make(chan error, 1)
		go func() {
			_, _, err := c.client.SendRequest("keepalive@openssh.com", true, nil)
			reply <- err
		}()
		select {
		case err := <-reply:
			if err != nil {
				c.client.Close()
				return
			}
		case <-time.After(interval * time.Duration(max)):
			c.client.Close()
			return
		case <-c.done:
			return
		}
	}
}

// lost wraps err from an operation on c, marking it ErrConnLost when the
// connection has died.
func (s *SSH) lost(c *sshConn, op, path string, err error) error {
	var status *sftp.StatusError
	if err == nil || errors.As(err, &status) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return wrap(s.cfg.Host, op, path, err) // the server answered
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return wrap(s.cfg.Host, op, path, err) // the caller gave up
	}
	dead := false
	select {
	case <-c.done:
		dead = true
	case <-time.After(50 * time.Millisecond):
	}
	var cl *connLostError
	if (dead || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, ErrConnLost)) && !errors.As(err, &cl) {
		err = &connLostError{cause: err}
	}
	return wrap(s.cfg.Host, op, path, err)
}

// do runs fn, which cannot be cancelled itself, honouring ctx: when ctx
// ends first, fn gets a grace period to finish (and clean up), after which
// the connection is closed so that fn fails at once.
func (s *SSH) do(ctx context.Context, c *sshConn, fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	select {
	case err := <-done:
		return err
	case <-time.After(cancelGrace):
	}
	c.client.Close()
	<-done
	return ctx.Err()
}

// cancelGrace is how long an operation may go on after its context ends
// before its connection is closed under it.
const cancelGrace = 2 * time.Second
