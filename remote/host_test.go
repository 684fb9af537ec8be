package remote_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/remote"
)

// TestDialClusterHost reaches hosts as declared in roma.hcl.
func TestDialClusterHost(t *testing.T) {
	l := lab.Shared(t)
	h := l.Host("db5")
	home := t.TempDir()
	t.Setenv("HOME", home) // no ~/.ssh yet
	t.Setenv("SSH_AUTH_SOCK", "")
	host := cluster.Host{
		Name: "db5", Address: h.Address, Transport: cluster.TransportSSH, Root: "/var/lib/roma",
		SSH: cluster.SSH{User: "root", Port: h.Port, IdentityFile: l.IdentityFile, KnownHosts: l.KnownHosts},
	}

	t.Run("ssh", func(t *testing.T) {
		tr, err := remote.Dial(testCtx(t), host, remote.DialOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		if out, err := remote.Output(testCtx(t), tr, "hostname"); err != nil || string(out) != "lab-db5\n" {
			t.Errorf("hostname = %q, %v", out, err)
		}
	})

	t.Run("local", func(t *testing.T) {
		tr, err := remote.Dial(testCtx(t), cluster.Host{Name: "here", Transport: cluster.TransportLocal}, remote.DialOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := tr.(*remote.Local); !ok || tr.Name() != "here" {
			t.Errorf("Dial of a local host = %T %q", tr, tr.Name())
		}
	})

	t.Run("error is a nil Transport", func(t *testing.T) {
		bad := host
		bad.Address = l.UnusedAddress()
		tr, err := remote.Dial(testCtx(t), bad, remote.DialOptions{})
		if tr != nil || !errors.Is(err, remote.ErrUnreachable) {
			t.Errorf("Dial = %#v, %v; want nil, ErrUnreachable", tr, err)
		}
	})

	t.Run("trust new", func(t *testing.T) {
		kh := filepath.Join(t.TempDir(), "known_hosts")
		h := host
		h.SSH.KnownHosts = kh
		if _, err := remote.Dial(testCtx(t), h, remote.DialOptions{}); !errors.Is(err, remote.ErrHostKeyUnknown) {
			t.Fatalf("Dial with an empty known_hosts = %v, want ErrHostKeyUnknown", err)
		}
		tr, err := remote.Dial(testCtx(t), h, remote.DialOptions{TrustNew: true})
		if err != nil {
			t.Fatal(err)
		}
		tr.Close()
		if tr, err = remote.Dial(testCtx(t), h, remote.DialOptions{}); err != nil {
			t.Fatalf("Dial after TrustNew: %v", err)
		}
		tr.Close()
	})

	t.Run("ssh config fills the gaps", func(t *testing.T) {
		if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
			t.Fatal(err)
		}
		conf := "Host db5\n  User root\n  Port 2222\n  IdentityFile " + l.IdentityFile + "\n  UserKnownHostsFile " + l.KnownHosts + "\n"
		if err := os.WriteFile(filepath.Join(home, ".ssh", "config"), []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		bare := cluster.Host{Name: "db5", Address: h.Address, Transport: cluster.TransportSSH}
		cfg := remote.ConfigFor(bare)
		if cfg.SSHConfigFile != filepath.Join(home, ".ssh", "config") {
			t.Errorf("ConfigFor uses ssh config %q", cfg.SSHConfigFile)
		}
		tr, err := remote.Dial(testCtx(t), bare, remote.DialOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		if got := tr.(*remote.SSH).Config(); got.Port != 2222 || got.User != "root" {
			t.Errorf("resolved port, user = %d, %q", got.Port, got.User)
		}
	})
}
