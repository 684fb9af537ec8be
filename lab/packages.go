package lab

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
)

// needed maps each program the lab and roma's tests need to the Debian
// package that provides it.
var needed = []struct{ path, pkg string }{
	{"/usr/sbin/sshd", "openssh-server"},
	{"/usr/bin/ssh", "openssh-client"},
	{"/usr/bin/scp", "openssh-client"},
	{"/usr/bin/redis-server", "redis-server"},
	{"/usr/bin/redis-cli", "redis-tools"},
	{"/usr/bin/unshare", "util-linux"},
	{"/usr/bin/nsenter", "util-linux"},
}

var ensureOnce = sync.OnceValue(ensurePackages)

// EnsurePackages makes sure sshd, ssh, scp, redis-server, redis-cli and
// unshare are installed, installing the missing Debian packages with
// apt-get when running as root. Otherwise its error says what is missing.
func EnsurePackages() error { return ensureOnce() }

func ensurePackages() error {
	missing, pkgs := missingPrograms()
	if len(missing) == 0 {
		return nil
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("lab: missing %s: install them (apt-get install %s) or run as root",
			strings.Join(missing, ", "), strings.Join(pkgs, " "))
	}
	if err := aptGet(append([]string{"install", "-y", "--no-install-recommends"}, pkgs...)...); err != nil {
		if err := aptGet("update"); err != nil {
			return err
		}
		if err := aptGet(append([]string{"install", "-y", "--no-install-recommends"}, pkgs...)...); err != nil {
			return err
		}
	}
	if missing, _ := missingPrograms(); len(missing) > 0 {
		return fmt.Errorf("lab: still missing after apt-get install: %s", strings.Join(missing, ", "))
	}
	return nil
}

func missingPrograms() (missing, pkgs []string) {
	seen := map[string]bool{}
	for _, n := range needed {
		if _, err := os.Stat(n.path); err == nil {
			continue
		}
		missing = append(missing, n.path)
		if !seen[n.pkg] {
			seen[n.pkg] = true
			pkgs = append(pkgs, n.pkg)
		}
	}
	return missing, pkgs
}

func aptGet(args ...string) error {
	cmd := exec.Command("apt-get", args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	out, err := cmd.CombinedOutput()
	if err != nil {
		tail := strings.TrimSpace(string(out))
		if len(tail) > 800 {
			tail = "..." + tail[len(tail)-800:]
		}
		return fmt.Errorf("lab: apt-get %s: %w: %s", strings.Join(args, " "), err, tail)
	}
	return nil
}
