package remote

import (
	"context"
	"os"
	"time"

	"github.com/roma-redis/roma/cluster"
)

// DialOptions change how Dial reaches hosts. The zero value is what plan
// and apply use by default.
type DialOptions struct {
	// TrustNew records the key of a host not yet in known_hosts
	// (OpenSSH's StrictHostKeyChecking=accept-new); a changed key still
	// fails. It is what --trust-new sets.
	TrustNew bool
	// ConnectTimeout bounds each dial attempt; 0 means 10s.
	ConnectTimeout time.Duration
}

// ConfigFor returns the SSH configuration for a host declared in roma.hcl.
// What the host's ssh block leaves empty comes from ~/.ssh/config (when it
// exists) and then from OpenSSH's defaults; the keys of the agent at
// $SSH_AUTH_SOCK are offered after the identity file.
func ConfigFor(h cluster.Host) SSHConfig {
	cfg := SSHConfig{
		Host:     h.Name,
		Address:  h.Address,
		Port:     h.SSH.Port,
		User:     h.SSH.User,
		UseAgent: os.Getenv("SSH_AUTH_SOCK") != "",
	}
	if h.SSH.IdentityFile != "" {
		cfg.IdentityFiles = []string{h.SSH.IdentityFile}
	}
	if h.SSH.KnownHosts != "" {
		cfg.KnownHosts = []string{h.SSH.KnownHosts}
	}
	if p := expandHome("~/.ssh/config"); fileExists(p) {
		cfg.SSHConfigFile = p
	}
	return cfg
}

// Dial returns a connected Transport for a host declared in roma.hcl: Local
// for transport "local", SSH otherwise.
func Dial(ctx context.Context, h cluster.Host, opts DialOptions) (Transport, error) {
	if h.Transport == cluster.TransportLocal {
		return NewLocal(h.Name), nil
	}
	cfg := ConfigFor(h)
	cfg.TrustNew = opts.TrustNew
	cfg.ConnectTimeout = opts.ConnectTimeout
	s, err := DialSSH(ctx, cfg)
	if err != nil {
		return nil, err // not a nil *SSH in a non-nil Transport
	}
	return s, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
