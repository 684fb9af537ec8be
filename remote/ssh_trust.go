package remote

import (
	"context"
	"errors"
	"fmt"
	"net"

	"golang.org/x/crypto/ssh"
)

// errGotKey stops a handshake once the host key is known.
var errGotKey = errors.New("host key received")

// FetchHostKey connects to cfg's host (through its ProxyJump, if any) only
// far enough to learn the host key it presents; it authenticates nothing.
func FetchHostKey(ctx context.Context, cfg SSHConfig) (ssh.PublicKey, error) {
	cfg, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	var key ssh.PublicKey
	ctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	conn, err := dialTCP(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	ccfg := &ssh.ClientConfig{
		User: cfg.User,
		HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error {
			key = k
			return errGotKey
		},
	}
	if db, err := loadKnownHosts(cfg.KnownHosts); err == nil {
		ccfg.HostKeyAlgorithms = db.algorithms(cfg.addr())
	}
	_, _, _, err = ssh.NewClientConn(conn, cfg.addr(), ccfg)
	if key == nil {
		return nil, classifyDial(cfg, err)
	}
	return key, nil
}

// dialTCP opens the TCP connection to cfg's host, through its ProxyJump
// host if it has one. cfg must be resolved.
func dialTCP(ctx context.Context, cfg SSHConfig) (net.Conn, error) {
	if cfg.ProxyJump == "" {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", cfg.addr())
		if err != nil {
			return nil, classifyDial(cfg, err)
		}
		return quickAck(conn), nil
	}
	jcfg, err := cfg.jumpConfig()
	if err != nil {
		return nil, classifyDial(cfg, err)
	}
	jump, err := dialOnce(ctx, jcfg)
	if err != nil {
		return nil, fmt.Errorf("%s: through ProxyJump %s: %w", cfg.Host, cfg.ProxyJump, err)
	}
	conn, err := jump.DialContext(ctx, "tcp", cfg.addr())
	if err != nil {
		jump.Close()
		return nil, classifyDial(cfg, err)
	}
	return jumpConn{Conn: conn, jump: jump}, nil
}

// jumpConn closes its jump host's connection with itself.
type jumpConn struct {
	net.Conn
	jump *ssh.Client
}

func (c jumpConn) Close() error {
	err := c.Conn.Close()
	c.jump.Close()
	return err
}

// HostKeyState is how a host's key stands against its known_hosts files.
type HostKeyState int

const (
	// HostKeyKnown: the key is recorded; connections go ahead.
	HostKeyKnown HostKeyState = iota
	// HostKeyUnknown: no key is recorded for the host; Record trusts it.
	HostKeyUnknown
	// HostKeyChanged: another key is recorded; it is never replaced here.
	HostKeyChanged
)

func (s HostKeyState) String() string {
	switch s {
	case HostKeyKnown:
		return "known"
	case HostKeyUnknown:
		return "unknown"
	}
	return "changed"
}

// HostKey is the key a host presented and how known_hosts sees it.
type HostKey struct {
	Host        string // the host's name
	Addr        string // host:port, as dialled
	Key         ssh.PublicKey
	Type        string // "ssh-ed25519", ...
	Fingerprint string // "SHA256:...", as OpenSSH prints it
	State       HostKeyState
	File        string   // the known_hosts file Record appends to
	Recorded    []string // for a changed key: where the other keys are, "file:line"

	cfg SSHConfig // resolved
}

// ScanHostKey connects to cfg's host only far enough to learn its key
// (authenticating nothing) and checks the key against cfg's known_hosts
// files. A key that is unknown or changed is not an error here: see State.
func ScanHostKey(ctx context.Context, cfg SSHConfig) (*HostKey, error) {
	rc, err := cfg.resolve()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Host, err)
	}
	key, err := FetchHostKey(ctx, rc)
	if err != nil {
		return nil, err
	}
	hk := &HostKey{Host: rc.Host, Addr: rc.addr(), Key: key, Type: key.Type(), Fingerprint: Fingerprint(key),
		File: rc.KnownHosts[0], cfg: rc}
	db, err := loadKnownHosts(rc.KnownHosts)
	if err != nil {
		return nil, &ConnError{Host: rc.Host, Addr: rc.addr(), Kind: ErrHostKeyUnknown, Err: err,
			Hint: "fix or remove the broken known_hosts file"}
	}
	err = db.verify(rc.addr(), key)
	var e *hostKeyError
	switch {
	case err == nil:
		hk.State = HostKeyKnown
	case errors.As(err, &e) && e.kind == ErrHostKeyUnknown:
		hk.State = HostKeyUnknown
	case errors.As(err, &e):
		hk.State = HostKeyChanged
		for _, k := range e.known {
			hk.Recorded = append(hk.Recorded, fmt.Sprintf("%s:%d", k.Filename, k.Line))
		}
	default:
		return nil, classifyDial(rc, err)
	}
	return hk, nil
}

// Err is nil for a known key, and otherwise the one-line error a
// connection to the host would fail with (matching ErrHostKeyUnknown or
// ErrHostKeyChanged).
func (k *HostKey) Err() error {
	if k.State == HostKeyKnown {
		return nil
	}
	db, err := loadKnownHosts(k.cfg.KnownHosts)
	if err != nil {
		return err
	}
	return classifyDial(k.cfg, db.verify(k.Addr, k.Key))
}

// Record appends an unknown key to File (creating it 0600 if needed); a
// known key needs nothing. A changed key is refused: the old line must be
// removed by hand, after finding out why the host's key changed.
func (k *HostKey) Record() error {
	switch k.State {
	case HostKeyKnown:
		return nil
	case HostKeyChanged:
		return k.Err()
	}
	if err := AppendKnownHost(k.File, k.Addr, k.Key); err != nil {
		return fmt.Errorf("%s: record host key in %s: %w", k.Host, k.File, err)
	}
	k.State = HostKeyKnown
	return nil
}

// Trust records the host key of cfg's host in the first of its known_hosts
// files, unless it is recorded already, and returns its SHA256
// fingerprint: ScanHostKey then Record, without asking anyone. A key that
// differs from a recorded one is never replaced: the error matches
// ErrHostKeyChanged.
func Trust(ctx context.Context, cfg SSHConfig) (fingerprint string, err error) {
	hk, err := ScanHostKey(ctx, cfg)
	if err != nil {
		return "", err
	}
	return hk.Fingerprint, hk.Record()
}
