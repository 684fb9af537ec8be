package remote_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/remote"
	"golang.org/x/crypto/ssh"
)

// The fault tests each break one lab host in one way and check what the
// issue asks of every fault: the error is one line that names the host and
// says what to do, no partial or temporary file is left in place, and
// nothing hangs past its timeout.

// checkErr fails unless err is one line starting with "host " or "host:"
// and containing every one of want.
func checkErr(t *testing.T, err error, host string, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one")
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("error is not one line:\n%s", msg)
	}
	if !strings.HasPrefix(msg, host+" (") && !strings.HasPrefix(msg, host+": ") {
		t.Errorf("error %q does not start with the host name %q", msg, host)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not contain %q", msg, w)
		}
	}
	t.Logf("error, as the user sees it: %s", msg)
}

// within fails t when fn takes longer than limit.
func within(t *testing.T, limit time.Duration, fn func()) {
	t.Helper()
	start := time.Now()
	fn()
	if took := time.Since(start); took > limit {
		t.Errorf("took %v, want at most %v", took, limit)
	}
}

// noTemp fails if dir, seen from outside the host, holds a temporary file
// of an atomic write.
func noTemp(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if remote.IsTempName(e.Name()) {
			t.Errorf("temporary file left behind: %s", filepath.Join(dir, e.Name()))
		}
	}
}

// countPreauth counts the lines of the host's sshd log about connections
// that ended before authentication succeeded and that contain s.
func countPreauth(t *testing.T, h *lab.Host, s string) int {
	b, err := os.ReadFile(filepath.Join(h.Dir, "sshd.log"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, s) && strings.HasSuffix(strings.TrimSpace(line), "[preauth]") {
			n++
		}
	}
	return n
}

func TestFaultHostDownAtDial(t *testing.T) {
	l := lab.New(t, lab.Options{Hosts: 1})
	h := l.Host("db1")
	s, err := remote.NewSSH(l.SSHConfig("db1"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := h.Stop(); err != nil {
		t.Fatal(err)
	}
	// Dial failures are retried (DialAttempts 2: one 250ms pause), no more.
	within(t, 3*time.Second, func() {
		_, err = remote.Output(testCtx(t), s, "true")
	})
	checkErr(t, err, "db1", h.Addr(), "connection refused", "is sshd running")
	if n := s.Config().DialAttempts; n > 1 && !strings.Contains(err.Error(), fmt.Sprintf("(%d attempts)", n)) {
		t.Errorf("error %v does not say it was tried %d times", err, n)
	}
	if !errors.Is(err, remote.ErrUnreachable) || !errors.Is(err, syscall.ECONNREFUSED) || !remote.Retryable(err) {
		t.Errorf("error %v: want ErrUnreachable, ECONNREFUSED, retryable", err)
	}
	// Once the host is back, the same transport reconnects.
	if err := h.Restart(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if out, err := remote.Output(testCtx(t), s, "hostname"); err != nil || string(out) != "lab-db1\n" {
		t.Errorf("after restart: %q, %v", out, err)
	}
}

// TestFaultHostHungAtDial: the host accepts TCP connections but its sshd
// never answers (SIGSTOP), as a hung machine does. Dial gives up after
// ConnectTimeout, and does not try again.
func TestFaultHostHungAtDial(t *testing.T) {
	l := lab.New(t, lab.Options{Hosts: 1})
	h := l.Host("db1")
	syscall.Kill(h.Pid(), syscall.SIGSTOP)
	defer syscall.Kill(h.Pid(), syscall.SIGCONT)
	cfg := l.SSHConfig("db1")
	cfg.ConnectTimeout, cfg.DialAttempts = time.Second, 2
	var err error
	within(t, 4*time.Second, func() {
		_, err = remote.DialSSH(testCtx(t), cfg)
	})
	checkErr(t, err, "db1", "timed out after 1s", "is the host up")
	if !errors.Is(err, remote.ErrUnreachable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v: want ErrUnreachable and DeadlineExceeded", err)
	}
	// A timeout is not tried again: it took ConnectTimeout already.
	if strings.Contains(err.Error(), "attempts") {
		t.Errorf("error %v: a timed-out dial was tried again", err)
	}
	// The caller's own deadline, shorter than ConnectTimeout, wins.
	cfg.ConnectTimeout = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	within(t, 2*time.Second, func() {
		_, err = remote.DialSSH(ctx, cfg)
	})
	checkErr(t, err, "db1")

	// Operations that arrive while another one is dialling wait for that
	// dial only as long as their own context allows.
	s, err := remote.NewSSH(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	slow, cancelSlow := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancelSlow()
	go s.Run(slow, "true")
	time.Sleep(100 * time.Millisecond) // the slow one is dialling
	for _, op := range []string{"run", "stat"} {
		quick, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		within(t, time.Second, func() {
			if op == "run" {
				_, err = s.Run(quick, "true")
			} else {
				_, err = s.Stat(quick, "/")
			}
		})
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s while another dial hangs: %v, want DeadlineExceeded", op, err)
		}
		checkErr(t, err, "db1")
	}
}

// killingReader yields data forever and calls fault once, after n bytes.
type killingReader struct {
	n     int64
	fault func()
	once  sync.Once
	buf   []byte
}

func (r *killingReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		r.once.Do(r.fault)
	}
	if r.buf == nil {
		r.buf = bytes.Repeat([]byte("0123456789abcdef"), 4096)
	}
	n := copy(p, r.buf)
	r.n -= int64(n)
	return n, nil
}

// TestFaultSSHDKilledMidTransfer kills the host's sshd serving the
// connection (SIGKILL, every process but the listener) in the middle of a
// write, an upload and a command.
func TestFaultSSHDKilledMidTransfer(t *testing.T) {
	l := lab.New(t, lab.Options{Hosts: 1})
	h := l.Host("db1")
	s := mustDial(t, l, "db1", nil)
	const dir = "/var/lib/roma/killed"
	if err := s.MkdirAll(testCtx(t), dir, 0o755); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(h.Root, "killed")
	kill := func() {
		if err := h.KillConnections(); err != nil {
			t.Error(err)
		}
	}
	for _, op := range []string{"write", "upload"} {
		t.Run(op, func(t *testing.T) {
			target := dir + "/" + op
			if err := s.WriteFile(testCtx(t), target, []byte("old\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			r := &killingReader{n: 8 << 20, fault: kill}
			var err error
			within(t, 10*time.Second, func() {
				if op == "write" {
					err = s.WriteFrom(testCtx(t), target, r, 0o644)
					return
				}
				// Upload reads a local file: a named pipe fed by r.
				fifo := filepath.Join(t.TempDir(), "fifo")
				if err := syscall.Mkfifo(fifo, 0o600); err != nil {
					t.Fatal(err)
				}
				go func() {
					f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
					if err != nil {
						return
					}
					io.Copy(f, r) // ends when Upload closes the pipe
					f.Close()
				}()
				err = s.Upload(testCtx(t), fifo, target, 0o755)
			})
			checkErr(t, err, "db1", op+" "+target, "connection lost")
			if !errors.Is(err, remote.ErrConnLost) || !remote.Retryable(err) {
				t.Errorf("error %v: want ErrConnLost, retryable", err)
			}
			// The same transport reconnects; the old file is intact and the
			// temporary file was removed over the new connection.
			if b, err := s.ReadFile(testCtx(t), target); err != nil || string(b) != "old\n" {
				t.Errorf("target after the failed %s: %q, %v; want the old content", op, b, err)
			}
			noTemp(t, outside)
		})
	}
	t.Run("run", func(t *testing.T) {
		go func() {
			time.Sleep(300 * time.Millisecond)
			kill()
		}()
		var err error
		within(t, 5*time.Second, func() {
			_, err = s.Run(testCtx(t), "sleep 30")
		})
		checkErr(t, err, "db1", "connection lost")
		if !errors.Is(err, remote.ErrConnLost) {
			t.Errorf("error %v: want ErrConnLost", err)
		}
	})
}

// TestFaultHostStoppedMidTransfer takes the whole host down (sshd and
// all) during a write: the old file stays, and since the temporary file
// cannot be removed from here any more, the error says where it is.
func TestFaultHostStoppedMidTransfer(t *testing.T) {
	l := lab.New(t, lab.Options{Hosts: 1})
	h := l.Host("db1")
	s := mustDial(t, l, "db1", nil)
	target := "/var/lib/roma/stopped"
	if err := s.WriteFile(testCtx(t), target, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &killingReader{n: 8 << 20, fault: func() {
		if err := h.Stop(); err != nil {
			t.Error(err)
		}
	}}
	var err error
	within(t, 15*time.Second, func() {
		err = s.WriteFrom(testCtx(t), target, r, 0o644)
	})
	checkErr(t, err, "db1", "connection lost", "temporary file /var/lib/roma/.stopped.roma-tmp-", "left behind")
	if !errors.Is(err, remote.ErrConnLost) {
		t.Errorf("error %v: want ErrConnLost", err)
	}
	if b, err := os.ReadFile(filepath.Join(h.Root, "stopped")); err != nil || string(b) != "old\n" {
		t.Errorf("target after the failed write: %q, %v; want the old content", b, err)
	}
}

// TestFaultHostFrozenMidTransfer freezes (SIGSTOP) the sshd serving the
// connection during a write, as a hung machine would: keepalives notice,
// and the write fails instead of hanging.
func TestFaultHostFrozenMidTransfer(t *testing.T) {
	l := lab.New(t, lab.Options{Hosts: 1})
	h := l.Host("db1")
	s := mustDial(t, l, "db1", func(c *remote.SSHConfig) {
		c.Keepalive, c.KeepaliveMax = 250*time.Millisecond, 2
	})
	target := "/var/lib/roma/frozen"
	if err := s.WriteFile(testCtx(t), target, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	defer h.SignalConnections(syscall.SIGCONT)
	r := &killingReader{n: 8 << 20, fault: func() { h.SignalConnections(syscall.SIGSTOP) }}
	var err error
	within(t, 5*time.Second, func() {
		err = s.WriteFrom(testCtx(t), target, r, 0o644)
	})
	checkErr(t, err, "db1", "connection lost")
	if !errors.Is(err, remote.ErrConnLost) {
		t.Errorf("error %v: want ErrConnLost", err)
	}
	if b, err := os.ReadFile(filepath.Join(h.Root, "frozen")); err != nil || string(b) != "old\n" {
		t.Errorf("target after the failed write: %q, %v; want the old content", b, err)
	}
	noTemp(t, h.Root)
}

// TestFaultDiskFull fills a 1 MiB tmpfs mounted inside the host.
func TestFaultDiskFull(t *testing.T) {
	l := lab.New(t, lab.Options{Hosts: 1})
	h := l.Host("db1")
	const dir = "/var/lib/roma/small"
	unmount, err := h.MountTmpfs(testCtx(t), dir, "1m")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := unmount(); err != nil {
			t.Error(err)
		}
	}()
	s := mustDial(t, l, "db1", nil)
	target := dir + "/conf"
	if err := s.WriteFile(testCtx(t), target, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(big, bytes.Repeat([]byte("x"), 2<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{"write", "upload"} {
		t.Run(op, func(t *testing.T) {
			var err error
			within(t, 10*time.Second, func() {
				if op == "write" {
					err = s.WriteFile(testCtx(t), target, bytes.Repeat([]byte("x"), 2<<20), 0o600)
				} else {
					err = s.Upload(testCtx(t), big, target, 0o600)
				}
			})
			checkErr(t, err, "db1", op+" "+target, "no space left on device", dir+" has 0 bytes free")
			if !errors.Is(err, syscall.ENOSPC) || remote.Retryable(err) {
				t.Errorf("error %v: want ENOSPC, not retryable", err)
			}
			if b, err := s.ReadFile(testCtx(t), target); err != nil || string(b) != "old\n" {
				t.Errorf("target after the failed write: %q, %v; want the old content", b, err)
			}
			infos, err := s.ReadDir(testCtx(t), dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, fi := range infos {
				if fi.Name() != "conf" {
					t.Errorf("left in %s: %s (%d bytes)", dir, fi.Name(), fi.Size())
				}
			}
			// The space the temporary file took is free again.
			if err := s.WriteFile(testCtx(t), dir+"/fits", bytes.Repeat([]byte("y"), 512<<10), 0o644); err != nil {
				t.Errorf("512 KiB after the failed write: %v", err)
			}
			s.Remove(testCtx(t), dir+"/fits")
		})
	}
}

// wrongKey writes a fresh key that no host accepts.
func wrongKey(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "id_other")
	if out, err := runLocal("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", p); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	return p
}

func TestFaultWrongKeyOrUser(t *testing.T) {
	l := lab.Shared(t)
	h := l.Host("db7")
	tests := []struct {
		name string
		edit func(*remote.SSHConfig)
		want string
	}{
		{"wrong key", func(c *remote.SSHConfig) { c.IdentityFiles = []string{wrongKey(t)} }, `user "root"`},
		{"wrong user", func(c *remote.SSHConfig) { c.User = "nosuchuser" }, `user "nosuchuser"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := countPreauth(t, h, "Connection closed by")
			var err error
			within(t, 3*time.Second, func() {
				_, err = dialLab(t, l, "db7", func(c *remote.SSHConfig) {
					c.DialAttempts = 3
					tc.edit(c)
				})
			})
			checkErr(t, err, "db7", "authentication refused for "+tc.want, "authorized_keys")
			if !errors.Is(err, remote.ErrAuth) || remote.Retryable(err) {
				t.Errorf("error %v: want ErrAuth, not retryable", err)
			}
			// Refused authentication is not retried: sshd saw one attempt.
			deadline := time.Now().Add(2 * time.Second)
			for countPreauth(t, h, "Connection closed by") == before && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if n := countPreauth(t, h, "Connection closed by") - before; n != 1 {
				t.Errorf("sshd saw %d connections, want 1", n)
			}
		})
	}
	t.Run("missing identity file", func(t *testing.T) {
		_, err := dialLab(t, l, "db7", func(c *remote.SSHConfig) {
			c.IdentityFiles = []string{"/nonexistent/id_ed25519"}
		})
		checkErr(t, err, "db7", "/nonexistent/id_ed25519", "no such file", "check identity_file")
	})
	t.Run("no identity", func(t *testing.T) {
		t.Setenv("HOME", t.TempDir()) // no ~/.ssh/id_*
		t.Setenv("SSH_AUTH_SOCK", "")
		_, err := dialLab(t, l, "db7", func(c *remote.SSHConfig) { c.IdentityFiles = nil })
		checkErr(t, err, "db7", "no identity to offer", "check identity_file", "ssh-agent")
		if !errors.Is(err, remote.ErrAuth) {
			t.Errorf("error %v: want ErrAuth", err)
		}
	})
}

// otherHostKey is a key no lab host has.
func otherHostKey(t *testing.T) ssh.PublicKey {
	b, err := os.ReadFile(wrongKey(t) + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	k, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestFaultHostKeyChanged(t *testing.T) {
	l := lab.Shared(t)
	h := l.Host("db7")
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := remote.AppendKnownHost(kh, h.Addr(), otherHostKey(t)); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(kh)
	for _, trustNew := range []bool{false, true} {
		logBefore := countPreauth(t, h, "Connection closed by")
		_, err := dialLab(t, l, "db7", func(c *remote.SSHConfig) {
			c.KnownHosts, c.TrustNew, c.DialAttempts = []string{kh}, trustNew, 3
		})
		checkErr(t, err, "db7", "HOST KEY CHANGED", h.HostKeyFingerprint(), kh+":1",
			"man-in-the-middle", `roma trust db7`)
		if !errors.Is(err, remote.ErrHostKeyChanged) || remote.Retryable(err) {
			t.Errorf("error %v: want ErrHostKeyChanged, not retryable", err)
		}
		if after, _ := os.ReadFile(kh); !bytes.Equal(before, after) {
			t.Errorf("known_hosts changed (TrustNew %v):\n%s", trustNew, after)
		}
		time.Sleep(100 * time.Millisecond)
		if n := countPreauth(t, h, "Connection closed by") - logBefore; n > 1 {
			t.Errorf("sshd saw %d connections, want 1: a changed key is never retried", n)
		}
	}
	// roma trust refuses it too.
	hk, err := remote.ScanHostKey(testCtx(t), withKnownHosts(l.SSHConfig("db7"), kh))
	if err != nil {
		t.Fatal(err)
	}
	if hk.State != remote.HostKeyChanged || hk.Fingerprint != h.HostKeyFingerprint() {
		t.Errorf("ScanHostKey = %v %s, want changed %s", hk.State, hk.Fingerprint, h.HostKeyFingerprint())
	}
	if err := hk.Record(); !errors.Is(err, remote.ErrHostKeyChanged) {
		t.Errorf("Record of a changed key = %v, want ErrHostKeyChanged", err)
	}
	if _, err := remote.Trust(testCtx(t), withKnownHosts(l.SSHConfig("db7"), kh)); !errors.Is(err, remote.ErrHostKeyChanged) {
		t.Errorf("Trust of a changed key = %v, want ErrHostKeyChanged", err)
	}
	if after, _ := os.ReadFile(kh); !bytes.Equal(before, after) {
		t.Errorf("known_hosts changed:\n%s", after)
	}
}

func withKnownHosts(c remote.SSHConfig, kh string) remote.SSHConfig {
	c.KnownHosts = []string{kh}
	return c
}

func TestHostKeyUnknown(t *testing.T) {
	l := lab.Shared(t)
	h := l.Host("db7")
	kh := filepath.Join(t.TempDir(), "ssh", "known_hosts") // neither file nor directory exists
	_, err := dialLab(t, l, "db7", func(c *remote.SSHConfig) { c.KnownHosts = []string{kh} })
	checkErr(t, err, "db7", "host key unknown", "ssh-ed25519 "+h.HostKeyFingerprint(), `run "roma trust db7"`, "--trust-new")
	if !errors.Is(err, remote.ErrHostKeyUnknown) || remote.Retryable(err) {
		t.Errorf("error %v: want ErrHostKeyUnknown, not retryable", err)
	}
	if _, err := os.Stat(kh); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("known_hosts written without TrustNew: %v", err)
	}

	// accept-new: the key is recorded and the connection goes ahead.
	s, err := dialLab(t, l, "db7", func(c *remote.SSHConfig) { c.KnownHosts, c.TrustNew = []string{kh}, true })
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	b, err := os.ReadFile(kh)
	if err != nil || strings.Count(string(b), "\n") != 1 || !strings.HasPrefix(string(b), "["+h.Address+"]:2222 ssh-ed25519 ") {
		t.Errorf("known_hosts after TrustNew = %q, %v", b, err)
	}
	// From now on the host is known, without TrustNew.
	if _, err := dialLab(t, l, "db7", func(c *remote.SSHConfig) { c.KnownHosts = []string{kh} }); err != nil {
		t.Errorf("dial after TrustNew: %v", err)
	}
}

func TestTrust(t *testing.T) {
	l := lab.Shared(t)
	kh := filepath.Join(t.TempDir(), "known_hosts")
	for _, name := range []string{"db7", "db8"} {
		cfg := withKnownHosts(l.SSHConfig(name), kh)
		hk, err := remote.ScanHostKey(testCtx(t), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if hk.State != remote.HostKeyUnknown || hk.Fingerprint != l.Host(name).HostKeyFingerprint() || hk.File != kh {
			t.Errorf("ScanHostKey(%s) = %+v", name, hk)
		}
		if err := hk.Err(); !errors.Is(err, remote.ErrHostKeyUnknown) {
			t.Errorf("HostKey.Err() = %v, want ErrHostKeyUnknown", err)
		}
		if err := hk.Record(); err != nil {
			t.Fatal(err)
		}
		// Trusting again changes nothing.
		fp, err := remote.Trust(testCtx(t), cfg)
		if err != nil || fp != hk.Fingerprint {
			t.Errorf("Trust = %s, %v", fp, err)
		}
		if _, err := dialLab(t, l, name, func(c *remote.SSHConfig) { c.KnownHosts = []string{kh} }); err != nil {
			t.Errorf("dial after trust: %v", err)
		}
	}
	b, _ := os.ReadFile(kh)
	if n := strings.Count(string(b), "\n"); n != 2 {
		t.Errorf("known_hosts has %d lines, want 2:\n%s", n, b)
	}
	if fi, err := os.Stat(kh); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("known_hosts mode = %v, %v; want 0600", fi.Mode(), err)
	}
}

func TestMissingCommand(t *testing.T) {
	l := lab.Shared(t)
	s := mustDial(t, l, "db7", nil)
	_, err := remote.Output(testCtx(t), s, "redis-server-nonexistent --version")
	checkErr(t, err, "db7", `run "redis-server-nonexistent --version"`, "exit status 127", "not found", "install it")
	if !errors.Is(err, remote.ErrCommandNotFound) {
		t.Errorf("error %v: want ErrCommandNotFound", err)
	}
}

func runLocal(name string, args ...string) ([]byte, error) {
	return exec.Command(name, args...).CombinedOutput()
}
