package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Processes returns the pids of every process in the host's mount
// namespace: its sshd, the sshd serving each connection, and whatever
// was started over SSH.
func (h *Host) Processes() []int {
	ns := h.Namespace()
	if ns == "" {
		return nil
	}
	return pidsInNamespace(ns, h.Root)
}

// KillConnections kills (SIGKILL) every process on the host except its
// listening sshd: every SSH connection drops at once, as when a machine's
// sshd and its sessions are killed, while new connections still work.
func (h *Host) KillConnections() error {
	return killAndWait(h.connectionPids(), 3*time.Second)
}

// SignalConnections sends sig to every process on the host except its
// listening sshd: SIGSTOP freezes every open connection (as a hung
// machine would), SIGCONT thaws them.
func (h *Host) SignalConnections(sig syscall.Signal) {
	for _, p := range h.connectionPids() {
		syscall.Kill(p, sig)
	}
}

func (h *Host) connectionPids() []int {
	listener := h.Pid()
	var pids []int
	for _, p := range h.Processes() {
		if p != listener {
			pids = append(pids, p)
		}
	}
	return pids
}

// Stop kills the host's sshd and everything in its namespace: the host is
// down until Restart.
func (h *Host) Stop() error {
	h.mu.Lock()
	pid, ns, done := h.pid, h.ns, h.done
	h.mu.Unlock()
	if pid == 0 {
		return nil
	}
	var errs []error
	if ns != "" {
		// Connections first, so the listener reaps them before it dies.
		errs = append(errs, h.KillConnections())
	}
	syscall.Kill(pid, syscall.SIGKILL)
	if done != nil {
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			errs = append(errs, fmt.Errorf("lab: %s: sshd (pid %d) did not die", h.Name, pid))
		}
	}
	if ns != "" {
		errs = append(errs, killNamespace(ns, h.Root, 5*time.Second))
	}
	h.mu.Lock()
	h.pid, h.ns, h.cmd = 0, "", nil
	h.mu.Unlock()
	return errors.Join(errs...)
}

// Restart starts a stopped host again, with the same address and key.
func (h *Host) Restart(ctx context.Context) error {
	if h.Pid() != 0 {
		return fmt.Errorf("lab: %s is running", h.Name)
	}
	return h.start(ctx, h.lab.persistent)
}

// killNamespace kills every process in the host's mount namespace ns
// until none is left (a dying parent may fork meanwhile), or timeout passes.
func killNamespace(ns, root string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		pids := pidsInNamespace(ns, root)
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("lab: processes %v in %s would not die", pids, ns)
		}
		killAndWait(pids, time.Until(deadline))
	}
}

// killAndWait sends SIGKILL to pids and waits until they are gone (or
// zombies) or timeout passes.
func killAndWait(pids []int, timeout time.Duration) error {
	for _, p := range pids {
		syscall.Kill(p, syscall.SIGKILL)
	}
	deadline := time.Now().Add(timeout)
	for _, p := range pids {
		for alive(p) {
			if time.Now().After(deadline) {
				return fmt.Errorf("lab: pid %d would not die", p)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return nil
}

// alive reports whether pid runs (a zombie, which holds no namespace and
// is only waiting for its parent, does not).
func alive(pid int) bool {
	_, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/mnt")
	return err == nil
}

// pidsInNamespace lists the live processes whose mount namespace is ns and
// that see root mounted on /var/lib/roma. (The kernel reuses a dead
// namespace's number, so the number alone could name another lab's host.)
func pidsInNamespace(ns, root string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		if link, err := os.Readlink("/proc/" + e.Name() + "/ns/mnt"); err == nil && link == ns && mountsRoot(pid, root) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// mountsRoot reports whether process pid has root bind-mounted on
// mountPoint. Mountinfo's fourth field is the mounted directory relative to
// its filesystem's root, so it is a suffix of the absolute root.
func mountsRoot(pid int, root string) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/mountinfo")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && f[4] == mountPoint && strings.HasSuffix(root, f[3]) && strings.Count(f[3], "/") >= 3 {
			return true
		}
	}
	return false
}
