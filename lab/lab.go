package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/roma-redis/roma/remote"
	"golang.org/x/crypto/ssh"
)

// Port is the port every lab host's sshd listens on.
const Port = 2222

// Options says what lab to start.
type Options struct {
	// Hosts is how many hosts, named db1..dbN (default 4, at most 200).
	Hosts int
	// Dir holds the lab's keys, configs, logs and host roots. Empty means
	// a new temporary directory. Close removes it either way.
	Dir string
	// Persistent leaves the hosts running when this process exits (for
	// cmd/romalab); otherwise they are killed with it.
	Persistent bool
	// SSHD is extra sshd_config lines for every host (KexAlgorithms ...),
	// for tests of what roma does against a server configured so. They
	// come first, so they win over the lab's own.
	SSHD []string
}

// Lab is a running set of lab hosts.
type Lab struct {
	Dir           string  // everything the lab wrote lives here
	Hosts         []*Host // db1..dbN
	IdentityFile  string  // the client's private key, accepted by every host as root
	KnownHosts    string  // known_hosts listing every host's key
	SSHConfigFile string  // OpenSSH client config with a Host entry for each host
	Slot          int     // hosts listen on 127.0.<Slot>.11, .12, ...

	persistent bool
	sshdExtra  []string
	release    func() // frees the slot
	closeOnce  sync.Once
	closeErr   error
}

// Start starts a lab: keys, configs and one sshd per host, in parallel,
// and waits until every sshd answers with its SSH banner.
func Start(ctx context.Context, opts Options) (_ *Lab, err error) {
	if opts.Hosts <= 0 {
		opts.Hosts = 4
	}
	if opts.Hosts > 200 {
		return nil, fmt.Errorf("lab: %d hosts is too many (at most 200)", opts.Hosts)
	}
	if err := EnsurePackages(); err != nil {
		return nil, err
	}
	l := &Lab{persistent: opts.Persistent, sshdExtra: opts.SSHD}
	defer func() {
		if err != nil {
			l.Close()
		}
	}()
	if err := l.makeDir(opts.Dir); err != nil {
		return nil, err
	}
	if l.Slot, l.release, err = takeSlot(opts.Hosts, opts.Persistent); err != nil {
		return nil, err
	}
	if err := l.writeFiles(opts.Hosts); err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	errs := make([]error, len(l.Hosts))
	var wg sync.WaitGroup
	for i, h := range l.Hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = h.start(ctx, opts.Persistent)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return l, l.writePids()
}

func (l *Lab) makeDir(dir string) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "roma-lab-")
		if err != nil {
			return fmt.Errorf("lab: %w", err)
		}
		l.Dir = d
		return nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	// A lab left behind in dir (a crashed run) goes first. Anything else
	// in dir is not the lab's to remove (Close removes dir).
	if IsLabDir(abs) {
		if err := Down(abs); err != nil {
			return err
		}
	} else if entries, err := os.ReadDir(abs); err == nil && len(entries) > 0 {
		return fmt.Errorf("lab: %s is not empty and holds no lab: choose another directory", abs)
	}
	l.Dir = abs
	return os.MkdirAll(abs, 0o755)
}

// writeFiles makes the client key, each host's directory and key, the
// known_hosts, authorized_keys and ssh_config files.
func (l *Lab) writeFiles(n int) error {
	l.IdentityFile = filepath.Join(l.Dir, "id_ed25519")
	l.KnownHosts = filepath.Join(l.Dir, "known_hosts")
	l.SSHConfigFile = filepath.Join(l.Dir, "ssh_config")
	pub, err := writeKeyPair(l.IdentityFile, "roma-lab-client")
	if err != nil {
		return err
	}
	if err := os.WriteFile(l.authorizedKeys(), ssh.MarshalAuthorizedKey(pub), 0o644); err != nil {
		return err
	}
	if err := os.MkdirAll(mountPoint, 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return err
	}
	for i := 1; i <= n; i++ {
		h, err := newHost(l, i)
		if err != nil {
			return err
		}
		l.Hosts = append(l.Hosts, h)
	}
	if err := writeKnownHosts(l.KnownHosts, l.Hosts); err != nil {
		return err
	}
	return writeSSHConfig(l)
}

func (l *Lab) authorizedKeys() string { return filepath.Join(l.Dir, "authorized_keys") }

// Host returns the host called name (such as "db1"), or nil.
func (l *Lab) Host(name string) *Host {
	for _, h := range l.Hosts {
		if h.Name == name {
			return h
		}
	}
	return nil
}

// Names returns the hosts' names, db1..dbN.
func (l *Lab) Names() []string {
	names := make([]string, len(l.Hosts))
	for i, h := range l.Hosts {
		names[i] = h.Name
	}
	return names
}

// UnusedAddress is a loopback address in the lab's range where nothing
// listens: dialling it is what dialling a host that is down looks like.
func (l *Lab) UnusedAddress() string {
	return hostAddress(l.Slot, len(l.Hosts)+1)
}

// SSHConfig returns a ready remote.SSHConfig for the named host.
func (l *Lab) SSHConfig(name string) remote.SSHConfig {
	if h := l.Host(name); h != nil {
		return h.SSHConfig()
	}
	return remote.SSHConfig{Host: name}
}

// Close kills every process the lab started (each sshd and everything in
// the hosts' namespaces) and removes the lab's directory.
func (l *Lab) Close() error {
	l.closeOnce.Do(func() {
		var errs []error
		var wg sync.WaitGroup
		errCh := make(chan error, len(l.Hosts))
		for _, h := range l.Hosts {
			wg.Add(1)
			go func() { defer wg.Done(); errCh <- h.Stop() }()
		}
		wg.Wait()
		close(errCh)
		for err := range errCh {
			errs = append(errs, err)
		}
		if l.release != nil {
			l.release()
		}
		if l.Dir != "" {
			errs = append(errs, removeAllRetry(l.Dir))
		}
		l.closeErr = errors.Join(errs...)
	})
	return l.closeErr
}

// removeAllRetry removes dir, retrying briefly while dying processes still
// write into it.
func removeAllRetry(dir string) error {
	var err error
	for range 20 {
		if err = os.RemoveAll(dir); err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("lab: remove %s: %w", dir, err)
}
