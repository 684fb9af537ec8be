package remote

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// hostKeyError is what the host key callback returns; dial turns it into
// a ConnError with a hint.
type hostKeyError struct {
	kind  error // ErrHostKeyUnknown or ErrHostKeyChanged
	key   ssh.PublicKey
	known []knownhosts.KnownKey
}

func (e *hostKeyError) Error() string {
	fp := ssh.FingerprintSHA256(e.key)
	if e.kind == ErrHostKeyUnknown {
		return fmt.Sprintf("host key unknown (%s %s)", e.key.Type(), fp)
	}
	msg := fmt.Sprintf("HOST KEY CHANGED: host now presents %s %s", e.key.Type(), fp)
	if len(e.known) > 0 {
		msg += fmt.Sprintf(", %s:%d holds another", e.known[0].Filename, e.known[0].Line)
	}
	return msg
}

func (e *hostKeyError) Unwrap() error { return e.kind }

// Fingerprint returns the SHA256 fingerprint of key as OpenSSH prints it.
func Fingerprint(key ssh.PublicKey) string { return ssh.FingerprintSHA256(key) }

// knownHostsPattern is how addr ("host:port") is written in known_hosts:
// "host" for port 22, "[host]:port" otherwise.
func knownHostsPattern(addr string) string { return knownhosts.Normalize(addr) }

// errKnownHosts marks a known_hosts file that cannot be read.
var errKnownHosts = errors.New("known_hosts")

var appendMu sync.Mutex

// AppendKnownHost records key for addr ("host:port") at the end of the
// known_hosts file path, creating the file (0600) and its directory (0700)
// if needed.
func AppendKnownHost(path, addr string, key ssh.PublicKey) error {
	appendMu.Lock()
	defer appendMu.Unlock()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	line := knownhosts.Line([]string{knownHostsPattern(addr)}, key) + "\n"
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, fi.Size()-1); err == nil && last[0] != '\n' {
			line = "\n" + line
		}
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// knownHostsDB checks host keys against the existing files among paths.
type knownHostsDB struct {
	check ssh.HostKeyCallback // nil when no file exists
}

func loadKnownHosts(paths []string) (*knownHostsDB, error) {
	var existing []string
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			existing = append(existing, p)
		}
	}
	if len(existing) == 0 {
		return &knownHostsDB{}, nil
	}
	cb, err := knownhosts.New(existing...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errKnownHosts, err)
	}
	return &knownHostsDB{check: cb}, nil
}

// verify returns nil when key is recorded for addr, or a *hostKeyError.
func (db *knownHostsDB) verify(addr string, key ssh.PublicKey) error {
	if db.check == nil {
		return &hostKeyError{kind: ErrHostKeyUnknown, key: key}
	}
	err := db.check(addr, addrString(addr), key)
	var ke *knownhosts.KeyError
	var re *knownhosts.RevokedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ke) && len(ke.Want) == 0:
		return &hostKeyError{kind: ErrHostKeyUnknown, key: key}
	case errors.As(err, &ke):
		return &hostKeyError{kind: ErrHostKeyChanged, key: key, known: ke.Want}
	case errors.As(err, &re):
		return &hostKeyError{kind: ErrHostKeyChanged, key: key, known: []knownhosts.KnownKey{re.Revoked}}
	}
	return err
}

var probeKey = sync.OnceValue(func() ssh.PublicKey {
	pub, _, _ := ed25519.GenerateKey(nil)
	k, _ := ssh.NewPublicKey(pub)
	return k
})

// algorithms returns host key algorithms with the types recorded for addr
// first, so the server offers a key known_hosts can check rather than
// another one that would look like a mismatch.
func (db *knownHostsDB) algorithms(addr string) []string {
	if db.check == nil {
		return nil
	}
	var ke *knownhosts.KeyError
	if err := db.check(addr, addrString(addr), probeKey()); !errors.As(err, &ke) || len(ke.Want) == 0 {
		return nil
	}
	var first []string
	for _, k := range ke.Want {
		t := k.Key.Type()
		if t == ssh.KeyAlgoRSA {
			first = append(first, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256)
		}
		first = append(first, t)
	}
	algos := slices.Clone(first)
	for _, a := range ssh.SupportedAlgorithms().HostKeys {
		if !slices.Contains(algos, a) {
			algos = append(algos, a)
		}
	}
	return algos
}

// hostKeyCallback verifies keys for cfg, recording unknown ones when
// cfg.TrustNew is set.
func hostKeyCallback(cfg SSHConfig, db *knownHostsDB) ssh.HostKeyCallback {
	return func(_ string, _ net.Addr, key ssh.PublicKey) error {
		err := db.verify(cfg.addr(), key)
		var hk *hostKeyError
		if errors.As(err, &hk) && hk.kind == ErrHostKeyUnknown && cfg.TrustNew {
			return AppendKnownHost(cfg.KnownHosts[0], cfg.addr(), key)
		}
		return err
	}
}

// addrString is a host:port as a net.Addr.
type addrString string

func (a addrString) Network() string { return "tcp" }
func (a addrString) String() string  { return string(a) }
