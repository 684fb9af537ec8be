package lab

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pidsFile, in the lab's directory, records each host's sshd pid, mount
// namespace and root, so that Down can stop a lab this process did not
// start.
const pidsFile = "pids"

func (l *Lab) writePids() error {
	var b strings.Builder
	for _, h := range l.Hosts {
		fmt.Fprintf(&b, "%s %d %s %s\n", h.Name, h.Pid(), h.Namespace(), h.Root)
	}
	return os.WriteFile(filepath.Join(l.Dir, pidsFile), []byte(b.String()), 0o644)
}

// IsLabDir reports whether dir holds a lab's pids file, as Down needs.
func IsLabDir(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, pidsFile))
	return err == nil
}

// Down stops the lab recorded in dir (by cmd/romalab or a crashed test
// run): it kills each recorded sshd and every process in its host's
// namespace, then removes dir. A dir without a pids file is left alone.
func Down(dir string) error {
	f, err := os.Open(filepath.Join(dir, pidsFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	var errs []error
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var name, ns, root string
		var pid int
		if _, err := fmt.Sscan(sc.Text(), &name, &pid, &ns, &root); err != nil {
			continue
		}
		errs = append(errs, downHost(pid, ns, root))
	}
	f.Close()
	errs = append(errs, removeAllRetry(dir))
	return errors.Join(errs...)
}

func downHost(pid int, ns, root string) error {
	if link, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/mnt"); err == nil && link == ns && mountsRoot(pid, root) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	return killNamespace(ns, root, 5*time.Second)
}
