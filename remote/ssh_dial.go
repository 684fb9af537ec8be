package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// dialSSH connects and authenticates to cfg's host, retrying dial failures
// (and only those) with backoff. A dial that timed out is not tried again:
// it took ConnectTimeout already, and a host that neither answers nor
// refuses (hung, or behind a firewall that drops) would cost that again
// each time. cfg must be resolved.
func dialSSH(ctx context.Context, cfg SSHConfig) (*ssh.Client, error) {
	backoff := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		client, err := dialOnce(ctx, cfg)
		if err == nil {
			return client, nil
		}
		retry := errors.Is(err, ErrUnreachable) && !errors.Is(err, context.DeadlineExceeded)
		if !retry || attempt >= cfg.DialAttempts || ctx.Err() != nil {
			return nil, tried(err, attempt)
		}
		select {
		case <-ctx.Done():
			return nil, tried(err, attempt)
		case <-time.After(backoff):
		}
		backoff *= 2
	}
}

// tried records on a dial's error how many attempts it took.
func tried(err error, attempts int) error {
	var ce *ConnError
	if attempts <= 1 || !errors.As(err, &ce) {
		return err
	}
	c := *ce
	c.Attempts = attempts
	return &c
}

func dialOnce(ctx context.Context, cfg SSHConfig) (*ssh.Client, error) {
	ccfg, done, err := clientConfig(cfg)
	if err != nil {
		hint := "check identity_file in the host's ssh settings, or load the key into ssh-agent"
		var he *hintedError
		switch {
		case errors.As(err, &he):
			hint = he.hint
		case errors.Is(err, errKnownHosts):
			hint = "fix the known_hosts file, or point known_hosts in the host's ssh settings elsewhere"
		}
		return nil, &ConnError{Host: cfg.Host, Addr: cfg.addr(), Kind: ErrAuth, Err: err, Hint: hint}
	}
	defer done() // authentication is over once the handshake returns
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	conn, err := dialTCP(ctx, cfg)
	if err != nil {
		return nil, callerGaveUp(parent, err)
	}
	// The handshake must not outlive ctx: closing conn ends it.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	c, chans, reqs, err := ssh.NewClientConn(conn, cfg.addr(), ccfg)
	if !stop() {
		err = errors.Join(err, ctx.Err())
		if c != nil {
			c.Close()
		}
	}
	if err != nil {
		conn.Close()
		return nil, callerGaveUp(parent, classifyDial(cfg, err))
	}
	return ssh.NewClient(c, chans, reqs), nil
}

// callerGaveUp rewrites a dial timeout that the caller's context caused,
// rather than ConnectTimeout, to say so.
func callerGaveUp(parent context.Context, err error) error {
	var ce *ConnError
	if parent.Err() == nil || !errors.As(err, &ce) || !errors.Is(ce.Err, context.DeadlineExceeded) {
		return err
	}
	c := *ce
	c.Err = fmt.Errorf("not connected when the operation's time ran out: %w", parent.Err())
	return &c
}

// clientConfig makes the handshake's configuration; done releases what it
// holds (the ssh-agent connection) once the handshake is over.
func clientConfig(cfg SSHConfig) (_ *ssh.ClientConfig, done func(), err error) {
	db, err := loadKnownHosts(cfg.KnownHosts)
	if err != nil {
		return nil, nil, err
	}
	signers, done, err := loadSigners(cfg)
	if err != nil {
		return nil, nil, err
	}
	if len(signers) == 0 {
		done()
		return nil, nil, errors.New("no identity to offer")
	}
	return &ssh.ClientConfig{
		User:              cfg.User,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signers...)},
		HostKeyCallback:   hostKeyCallback(cfg, db),
		HostKeyAlgorithms: db.algorithms(cfg.addr()),
		Timeout:           cfg.ConnectTimeout,
		Config:            ssh.Config{KeyExchanges: keyExchanges},
	}, done, nil
}

// keyExchanges is roma's order of preference for key exchange: the
// post-quantum hybrid when the server has it (OpenSSH 9.9 on), else NIST
// P-256 before curve25519. Both are sound; OpenSSH computes P-256 with
// OpenSSL's optimised code but curve25519 with its own portable reference
// code, so each host's sshd spends about 5 ms less CPU on a connection,
// and roma opens one to every host of a cluster at once (a plan on 8 lab
// hosts sharing 2 CPUs: 24% less CPU in all). A server that refuses P-256
// still gets curve25519.
var keyExchanges = []string{
	ssh.KeyExchangeMLKEM768X25519,
	ssh.KeyExchangeECDHP256,
	ssh.KeyExchangeCurve25519,
	ssh.KeyExchangeECDHP384,
	ssh.KeyExchangeECDHP521,
	ssh.KeyExchangeDH14SHA256,
}

// loadSigners reads the identity files and, if asked, the agent's keys;
// done closes the agent connection, which signing needs until then. A key
// file protected by a passphrase is left to the agent (which may hold the
// key); an error names it when nothing else is left to offer. The default
// identities (~/.ssh/id_*) are skipped when they cannot be used, as OpenSSH
// does without a passphrase prompt.
func loadSigners(cfg SSHConfig) (signers []ssh.Signer, done func(), err error) {
	done = func() {}
	var protected []string
	for _, p := range cfg.IdentityFiles {
		pem, err := os.ReadFile(p)
		if err != nil {
			if cfg.defaultIDs {
				continue
			}
			return nil, nil, fmt.Errorf("identity file %s: %w", p, unwrapPathError(err))
		}
		s, err := ssh.ParsePrivateKey(pem)
		var missing *ssh.PassphraseMissingError
		switch {
		case errors.As(err, &missing):
			protected = append(protected, p)
		case err != nil && cfg.defaultIDs:
		case err != nil:
			return nil, nil, fmt.Errorf("identity file %s: %w", p, err)
		default:
			signers = append(signers, s)
		}
	}
	if sock := os.Getenv("SSH_AUTH_SOCK"); cfg.UseAgent && sock != "" {
		conn, err := net.Dial("unix", sock)
		if err != nil {
			return nil, nil, fmt.Errorf("ssh-agent at %s: %w", sock, err)
		}
		as, err := agent.NewClient(conn).Signers()
		if err != nil {
			conn.Close()
			return nil, nil, fmt.Errorf("ssh-agent: %w", err)
		}
		signers = append(signers, as...)
		done = func() { conn.Close() }
	}
	if len(signers) == 0 && len(protected) > 0 && !cfg.defaultIDs {
		done()
		return nil, nil, &hintedError{
			err:  fmt.Errorf("identity file %s is protected by a passphrase, which roma cannot ask for", protected[0]),
			hint: "add the key to ssh-agent: ssh-add " + protected[0],
		}
	}
	return signers, done, nil
}

// hintedError is an error that knows what the user should do about it.
type hintedError struct {
	err  error
	hint string
}

func (e *hintedError) Error() string { return e.err.Error() }
func (e *hintedError) Unwrap() error { return e.err }

// classifyDial turns a dial or handshake failure into a one-line ConnError.
func classifyDial(cfg SSHConfig, err error) error {
	ce := &ConnError{Host: cfg.Host, Addr: cfg.addr(), Kind: ErrUnreachable, Err: err}
	var hk *hostKeyError
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &hk) && hk.kind == ErrHostKeyUnknown:
		ce.Kind, ce.Err = ErrHostKeyUnknown, hk
		ce.Hint = fmt.Sprintf("run \"roma trust %s\" (or pass --trust-new) after checking the fingerprint", cfg.Host)
	case errors.As(err, &hk):
		ce.Kind, ce.Err = ErrHostKeyChanged, hk
		ce.Hint = fmt.Sprintf("possible man-in-the-middle attack; if %s was reinstalled, delete its old line and run \"roma trust %s\"", cfg.Host, cfg.Host)
	case strings.Contains(err.Error(), "unable to authenticate"):
		ce.Kind = ErrAuth
		ce.Err = fmt.Errorf("authentication refused for user %q", cfg.User)
		ce.Hint = "check the user and identity_file, and that the public key is in the host's authorized_keys"
	case errors.Is(err, syscall.ECONNREFUSED):
		ce.Err = syscall.ECONNREFUSED
		ce.Hint = "is sshd running and is the address right?"
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		ce.Err = fmt.Errorf("connection timed out after %v: %w", cfg.ConnectTimeout, context.DeadlineExceeded)
		ce.Hint = "is the host up and its SSH port open?"
	case errors.Is(err, context.Canceled):
		ce.Err = context.Canceled
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		ce.Err = syscall.EHOSTUNREACH
		if errors.Is(err, syscall.ENETUNREACH) {
			ce.Err = syscall.ENETUNREACH
		}
		ce.Hint = "is the host up and the address right?"
	case errors.As(err, &dnsErr):
		ce.Hint = "check the host's address"
	case strings.HasPrefix(err.Error(), "ssh: handshake failed"):
		ce.Hint = "sshd closed the connection during the handshake: is it overloaded (MaxStartups) or is this not an SSH server?"
	}
	return ce
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
