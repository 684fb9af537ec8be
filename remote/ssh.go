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

	mu     sync.Mutex
	conn   *sshConn // nil until dialled, and after the connection breaks
	closed bool
}

// sshConn is one live connection and its lazily started SFTP client.
type sshConn struct {
	client *ssh.Client
	done   chan struct{} // closed when the connection has ended
	sftp   *sftp.Client
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

// connect returns the live connection, dialling one if needed.
func (s *SSH) connect(ctx context.Context) (*sshConn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connectLocked(ctx)
}

func (s *SSH) connectLocked(ctx context.Context) (*sshConn, error) {
	if s.closed {
		return nil, wrap(s.cfg.Host, "connect", "", errClosed)
	}
	if s.conn != nil {
		select {
		case <-s.conn.done:
			s.conn = nil
		default:
			return s.conn, nil
		}
	}
	client, err := dialSSH(ctx, s.cfg)
	if err != nil {
		return nil, err
	}
	c := &sshConn{client: client, done: make(chan struct{})}
	go func() {
		client.Wait()
		close(c.done)
	}()
	go c.keepalive(s.cfg.Keepalive, s.cfg.KeepaliveMax)
	s.conn = c
	return c, nil
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
func (s *SSH) sftpClient(ctx context.Context) (*sshConn, *sftp.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.connectLocked(ctx)
	if err != nil {
		return nil, nil, err
	}
	if c.sftp == nil {
		sc, err := sftp.NewClient(c.client,
			sftp.UseConcurrentWrites(true),
			sftp.MaxPacketUnchecked(sftpPacket),
			sftp.MaxConcurrentRequestsPerFile(64),
		)
		if err != nil {
			return nil, nil, s.lost(c, "sftp", "", err)
		}
		c.sftp = sc
	}
	return c, c.sftp, nil
}

// sftpPacket is the SFTP data size per request: OpenSSH accepts up to
// 256 KiB messages; larger packets make big pushes several times faster.
const sftpPacket = 255 * 1024

func (c *sshConn) close() error {
	if c.sftp != nil {
		c.sftp.Close()
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
