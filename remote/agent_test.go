package remote_test

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/remote"
)

// startAgent starts OpenSSH's ssh-agent on a socket of its own, holding
// the keys at paths, and points SSH_AUTH_SOCK at it for the test. The
// agent is killed, by pid, when the test ends.
func startAgent(t *testing.T, keys ...string) {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "agent.sock")
	cmd := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := cmd.Start(); err != nil {
		t.Fatalf("ssh-agent: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	// The socket exists once bound, and takes connections once the agent
	// listens: wait for a connection (ssh-add was refused in between).
	for deadline := time.Now().Add(5 * time.Second); ; {
		c, err := net.Dial("unix", sock)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ssh-agent does not take connections on its socket: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Setenv("SSH_AUTH_SOCK", sock)
	for _, k := range keys {
		if out, err := exec.Command("ssh-add", "-q", k).CombinedOutput(); err != nil {
			t.Fatalf("ssh-add %s: %v: %s", k, err, out)
		}
	}
}

// protectedCopy writes the private key at path again, under a passphrase.
func protectedCopy(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "id_protected")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ssh-keygen", "-q", "-p", "-P", "", "-N", "a passphrase", "-f", p).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -p: %v: %s", err, out)
	}
	return p
}

func TestSSHAgent(t *testing.T) {
	l := lab.Shared(t)
	t.Setenv("HOME", t.TempDir()) // no default identities
	protected := protectedCopy(t, l.IdentityFile)

	t.Run("protected key without agent", func(t *testing.T) {
		t.Setenv("SSH_AUTH_SOCK", "")
		_, err := dialLab(t, l, "db4", func(c *remote.SSHConfig) { c.IdentityFiles, c.UseAgent = []string{protected}, true })
		checkErr(t, err, "db4", "identity file "+protected+" is protected by a passphrase", "ssh-add "+protected)
		if !errors.Is(err, remote.ErrAuth) {
			t.Errorf("error %v: want ErrAuth", err)
		}
	})

	startAgent(t, l.IdentityFile)
	t.Run("agent only", func(t *testing.T) {
		s := mustDial(t, l, "db4", func(c *remote.SSHConfig) { c.IdentityFiles, c.UseAgent = nil, true })
		if out, err := remote.Output(testCtx(t), s, "hostname"); err != nil || string(out) != "lab-db4\n" {
			t.Errorf("hostname = %q, %v", out, err)
		}
	})
	t.Run("protected key held by the agent", func(t *testing.T) {
		mustDial(t, l, "db4", func(c *remote.SSHConfig) { c.IdentityFiles, c.UseAgent = []string{protected}, true })
	})
	t.Run("agent not asked", func(t *testing.T) {
		_, err := dialLab(t, l, "db4", func(c *remote.SSHConfig) { c.IdentityFiles, c.UseAgent = nil, false })
		checkErr(t, err, "db4", "no identity to offer")
	})
	t.Run("agent with the wrong key", func(t *testing.T) {
		startAgent(t, wrongKey(t))
		_, err := dialLab(t, l, "db4", func(c *remote.SSHConfig) { c.IdentityFiles, c.UseAgent = nil, true })
		checkErr(t, err, "db4", "authentication refused")
	})
}

// TestSSHConfigProxyJump reaches db4 through db1 as ~/.ssh/config says.
func TestSSHConfigProxyJump(t *testing.T) {
	l := lab.Shared(t)
	b, err := os.ReadFile(l.SSHConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	conf := strings.Replace(string(b), "Host db4\n", "Host db4\n  ProxyJump db1\n", 1)
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := remote.DialSSH(testCtx(t), remote.SSHConfig{Host: "db4", SSHConfigFile: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.Config().ProxyJump; got != "db1" {
		t.Errorf("ProxyJump = %q, want db1", got)
	}
	if out, err := remote.Output(testCtx(t), s, "hostname"); err != nil || string(out) != "lab-db4\n" {
		t.Errorf("hostname = %q, %v", out, err)
	}
	// The jump host down: the error says so.
	conf = strings.Replace(conf, "Host db1\n  HostName "+l.Host("db1").Address, "Host db1\n  HostName "+l.UnusedAddress(), 1)
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = remote.DialSSH(testCtx(t), remote.SSHConfig{Host: "db4", SSHConfigFile: path, DialAttempts: 1})
	checkErr(t, err, "db4", "through ProxyJump db1", "connection refused")
	if !errors.Is(err, remote.ErrUnreachable) {
		t.Errorf("error %v: want ErrUnreachable", err)
	}
}
