package remote

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	sshconfig "github.com/kevinburke/ssh_config"
)

// SSHConfig says how to reach one host over SSH. Fields left empty are
// taken from SSHConfigFile (when set) and then from OpenSSH's defaults.
type SSHConfig struct {
	Host           string        // the host's name, used in messages and ssh_config lookups
	Address        string        // address or DNS name to dial; defaults to Host
	Port           int           // defaults to 22
	User           string        // defaults to the current user
	IdentityFiles  []string      // private keys; "~/" is expanded
	KnownHosts     []string      // known_hosts files; defaults to ~/.ssh/known_hosts
	UseAgent       bool          // also offer the keys of the agent at $SSH_AUTH_SOCK
	SSHConfigFile  string        // an OpenSSH client config, such as ~/.ssh/config
	ProxyJump      string        // "[user@]host[:port]": dial through this host
	ConnectTimeout time.Duration // per dial attempt; defaults to 10s
	TrustNew       bool          // record unknown host keys (accept-new); changed keys still fail
	Keepalive      time.Duration // keepalive interval; defaults to 15s
	KeepaliveMax   int           // unanswered keepalives before the connection is closed; defaults to 3
	DialAttempts   int           // tries for dial failures only, not timeouts; defaults to 3

	defaultIDs bool // IdentityFiles are OpenSSH's defaults, skipped when unusable
}

// addr returns host:port.
func (c SSHConfig) addr() string {
	return net.JoinHostPort(c.Address, strconv.Itoa(c.Port))
}

// resolve fills c's empty fields from its ssh config file and the defaults.
func (c SSHConfig) resolve() (SSHConfig, error) {
	if c.SSHConfigFile != "" {
		if err := c.applyConfigFile(); err != nil {
			return c, err
		}
	}
	if c.Address == "" {
		c.Address = c.Host
	}
	if c.Host == "" {
		c.Host = c.Address
	}
	if c.Port == 0 {
		c.Port = 22
	}
	if c.User == "" {
		c.User = currentUser()
	}
	if len(c.KnownHosts) == 0 {
		c.KnownHosts = []string{"~/.ssh/known_hosts"}
	}
	if len(c.IdentityFiles) == 0 {
		c.IdentityFiles, c.defaultIDs = defaultIdentities(), true
	}
	c.IdentityFiles = expandAll(c.IdentityFiles)
	c.KnownHosts = expandAll(c.KnownHosts)
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 10 * time.Second
	}
	if c.Keepalive <= 0 {
		c.Keepalive = 15 * time.Second
	}
	if c.KeepaliveMax <= 0 {
		c.KeepaliveMax = 3
	}
	if c.DialAttempts <= 0 {
		c.DialAttempts = 3
	}
	return c, nil
}

// applyConfigFile fills empty fields from the OpenSSH client config,
// looking the host up by its name and then by its address.
func (c *SSHConfig) applyConfigFile() error {
	f, err := os.Open(expandHome(c.SSHConfigFile))
	if err != nil {
		return fmt.Errorf("ssh config: %w", err)
	}
	defer f.Close()
	cfg, err := sshconfig.Decode(f)
	if err != nil {
		return fmt.Errorf("ssh config %s: %w", c.SSHConfigFile, err)
	}
	aliases := []string{c.Host}
	if c.Address != "" && c.Address != c.Host {
		aliases = append(aliases, c.Address)
	}
	get := func(key string) string {
		for _, a := range aliases {
			if v, _ := cfg.Get(a, key); v != "" && v != "none" {
				return v
			}
		}
		return ""
	}
	if v := get("HostName"); c.Address == "" && v != "" {
		c.Address = v
	}
	if v := get("User"); c.User == "" {
		c.User = v
	}
	if v := get("Port"); c.Port == 0 && v != "" {
		p, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("ssh config %s: host %s: bad Port %q", c.SSHConfigFile, c.Host, v)
		}
		c.Port = p
	}
	if v := get("ProxyJump"); c.ProxyJump == "" {
		c.ProxyJump = v
	}
	if len(c.IdentityFiles) == 0 {
		for _, a := range aliases {
			if ids, _ := cfg.GetAll(a, "IdentityFile"); len(ids) > 0 {
				c.IdentityFiles = ids
				break
			}
		}
	}
	if v := get("UserKnownHostsFile"); len(c.KnownHosts) == 0 && v != "" {
		c.KnownHosts = strings.Fields(v)
	}
	return nil
}

// jumpConfig is the config for the ProxyJump host "[user@]host[:port]":
// identities, known hosts and timeouts are c's.
func (c SSHConfig) jumpConfig() (SSHConfig, error) {
	spec := strings.Split(c.ProxyJump, ",")[0] // only one hop is supported
	j := SSHConfig{
		IdentityFiles: c.IdentityFiles, KnownHosts: c.KnownHosts, UseAgent: c.UseAgent,
		SSHConfigFile: c.SSHConfigFile, ConnectTimeout: c.ConnectTimeout, TrustNew: c.TrustNew,
		defaultIDs:   c.defaultIDs,
		DialAttempts: 1,
	}
	if at := strings.LastIndex(spec, "@"); at >= 0 {
		j.User, spec = spec[:at], spec[at+1:]
	}
	if h, p, err := net.SplitHostPort(spec); err == nil {
		port, err := strconv.Atoi(p)
		if err != nil {
			return j, fmt.Errorf("bad ProxyJump %q", c.ProxyJump)
		}
		spec, j.Port = h, port
	}
	j.Host = spec
	return j.resolve()
}

func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	if os.Geteuid() == 0 {
		return "root"
	}
	return ""
}

func defaultIdentities() []string {
	var ids []string
	for _, n := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
		p := expandHome("~/.ssh/" + n)
		if _, err := os.Stat(p); err == nil {
			ids = append(ids, p)
		}
	}
	return ids
}

func expandAll(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = expandHome(p)
	}
	return out
}

// expandHome turns a leading "~/" into the user's home directory.
func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}
