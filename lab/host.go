package lab

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/roma-redis/roma/remote"
	"golang.org/x/crypto/ssh"
)

// mountPoint is the directory each host sees its own private tree at.
const mountPoint = "/var/lib/roma"

// Host is one lab host: an sshd in its own mount and UTS namespace.
type Host struct {
	Name     string // db1, db2, ...
	Address  string // 127.0.<slot>.(10+i)
	Port     int    // always Port
	Hostname string // what hostname(1) says on it: lab-db1, ...
	Root     string // this host's /var/lib/roma, seen from outside
	Home     string // this host's /root (root's home), seen from outside
	Dir      string // the host's files: sshd_config, host key, log

	lab     *Lab
	hostKey ssh.PublicKey

	mu   sync.Mutex
	cmd  *exec.Cmd
	pid  int
	ns   string        // the mount namespace, as in /proc/PID/ns/mnt
	done chan struct{} // closed when cmd has exited
}

func hostAddress(slot, i int) string { return fmt.Sprintf("127.0.%d.%d", slot, 10+i) }

func newHost(l *Lab, i int) (*Host, error) {
	name := fmt.Sprintf("db%d", i)
	h := &Host{
		Name: name, Address: hostAddress(l.Slot, i), Port: Port, Hostname: "lab-" + name,
		Dir: filepath.Join(l.Dir, "hosts", name), lab: l,
	}
	h.Root = filepath.Join(h.Dir, "root")
	h.Home = filepath.Join(h.Dir, "home")
	if err := os.MkdirAll(h.Root, 0o755); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(h.Home, 0o700); err != nil {
		return nil, err
	}
	key, err := writeKeyPair(filepath.Join(h.Dir, "ssh_host_ed25519_key"), "root@"+h.Hostname)
	if err != nil {
		return nil, err
	}
	h.hostKey = key
	return h, os.WriteFile(filepath.Join(h.Dir, "sshd_config"), []byte(h.sshdConfig()), 0o644)
}

func (h *Host) sshdConfig() string {
	// sshd takes the first value of a keyword: the extra lines win.
	return strings.Join(append(slices.Clone(h.lab.sshdExtra), []string{
		"ListenAddress " + net.JoinHostPort(h.Address, strconv.Itoa(h.Port)),
		"HostKey " + filepath.Join(h.Dir, "ssh_host_ed25519_key"),
		"PidFile " + filepath.Join(h.Dir, "sshd.pid"),
		"AuthorizedKeysFile " + h.lab.authorizedKeys(),
		"PermitRootLogin prohibit-password",
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"UsePAM no",
		"StrictModes no",
		"UseDNS no",
		"MaxSessions 100",
		"MaxStartups 100",
		"PrintMotd no",
		"PrintLastLog no",
		"X11Forwarding no",
		"AllowTcpForwarding yes",
		"LogLevel INFO",
		"Subsystem sftp internal-sftp",
	}...), "\n") + "\n"
}

// SSHConfig returns a remote.SSHConfig that reaches this host as root.
func (h *Host) SSHConfig() remote.SSHConfig {
	return remote.SSHConfig{
		Host:           h.Name,
		Address:        h.Address,
		Port:           h.Port,
		User:           "root",
		IdentityFiles:  []string{h.lab.IdentityFile},
		KnownHosts:     []string{h.lab.KnownHosts},
		ConnectTimeout: 5 * time.Second,
		DialAttempts:   2,
	}
}

// Dial connects to the host over SSH.
func (h *Host) Dial(ctx context.Context) (*remote.SSH, error) {
	return remote.DialSSH(ctx, h.SSHConfig())
}

// HostKey returns the host's public host key.
func (h *Host) HostKey() ssh.PublicKey { return h.hostKey }

// HostKeyFingerprint returns the SHA256 fingerprint of the host key, as
// OpenSSH and "roma trust" print it.
func (h *Host) HostKeyFingerprint() string { return ssh.FingerprintSHA256(h.hostKey) }

// Addr returns the host's sshd address, host:port.
func (h *Host) Addr() string { return net.JoinHostPort(h.Address, strconv.Itoa(h.Port)) }

// Pid returns the pid of the host's listening sshd, 0 when it is stopped.
func (h *Host) Pid() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.pid
}

// Namespace returns the host's mount namespace ("mnt:[4026532176]").
func (h *Host) Namespace() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ns
}

// start launches the host's sshd in new namespaces and waits for its banner.
func (h *Host) start(ctx context.Context, persistent bool) error {
	// Each host has its own /root too, as a separate machine would: the
	// shell of every SSH session starts without this machine's dotfiles.
	script := `hostname "$LAB_HOSTNAME" && mount --bind "$LAB_ROOT" ` + mountPoint +
		` && mount --bind "$LAB_HOME" /root` +
		` && exec /usr/sbin/sshd -D -e -f "$LAB_SSHD_CONFIG"`
	cmd := exec.Command("unshare", "--mount", "--uts", "--propagation", "private", "/bin/sh", "-c", script)
	cmd.Env = append(os.Environ(), "LAB_HOSTNAME="+h.Hostname, "LAB_ROOT="+h.Root, "LAB_HOME="+h.Home,
		"LAB_SSHD_CONFIG="+filepath.Join(h.Dir, "sshd_config"))
	log, err := os.OpenFile(filepath.Join(h.Dir, "sshd.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if !persistent {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("lab: %s: start sshd: %w", h.Name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	h.mu.Lock()
	h.cmd, h.pid, h.done = cmd, cmd.Process.Pid, done
	h.mu.Unlock()
	if err := h.waitReady(ctx, done); err != nil {
		return err
	}
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", h.pid))
	if err != nil {
		return fmt.Errorf("lab: %s: %w", h.Name, err)
	}
	h.mu.Lock()
	h.ns = ns
	h.mu.Unlock()
	return nil
}

// waitReady waits until the sshd accepts a connection and sends its banner.
func (h *Host) waitReady(ctx context.Context, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	for {
		if err := probeBanner(h.Addr()); err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("lab: %s: sshd exited at start: %s", h.Name, h.logTail())
		case <-ctx.Done():
			return fmt.Errorf("lab: %s: sshd not answering on %s: %w; log: %s", h.Name, h.Addr(), ctx.Err(), h.logTail())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func probeBanner(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "SSH-2.0-") {
		return errors.New("not an SSH banner: " + line)
	}
	return nil
}

// logTail returns the end of the host's sshd log for error messages.
func (h *Host) logTail() string {
	b, _ := os.ReadFile(filepath.Join(h.Dir, "sshd.log"))
	s := strings.TrimSpace(string(b))
	if len(s) > 600 {
		s = "..." + s[len(s)-600:]
	}
	return s
}
