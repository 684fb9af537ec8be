// Package benchkit holds what roma's benchmark drivers (bench/...) share:
// installing a peer tool from Debian, building roma, closing OpenSSH
// control masters, and printing figures, ratios and targets.
package benchkit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/roma-redis/roma/lab"
)

// EnsureDebian installs Debian package pkg when command cmd is missing,
// running apt-get update once if the first install fails.
func EnsureDebian(who, cmd, pkg string) error {
	if _, err := exec.LookPath(cmd); err == nil {
		return nil
	}
	fmt.Fprintf(os.Stderr, "%s: installing %s (Debian)\n", who, pkg)
	install := func() error {
		c := exec.Command("apt-get", "install", "-y", "--no-install-recommends", pkg)
		c.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := c.CombinedOutput(); err != nil {
			return fmt.Errorf("apt-get install %s: %w: %s", pkg, err, Tail(string(out), 800))
		}
		return nil
	}
	if err := install(); err != nil {
		if out, uerr := exec.Command("apt-get", "update").CombinedOutput(); uerr != nil {
			return fmt.Errorf("apt-get update: %w: %s", uerr, Tail(string(out), 800))
		}
		if err := install(); err != nil {
			return err
		}
	}
	_, err := exec.LookPath(cmd)
	return err
}

// BuildRoma returns bin when set, or builds ./cmd/roma into dir.
func BuildRoma(ctx context.Context, bin, dir string) (string, error) {
	if bin != "" {
		return bin, nil
	}
	out := filepath.Join(dir, "roma")
	if b, err := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/roma").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/roma: %w: %s", err, b)
	}
	return out, nil
}

// CloseSSHMasters ends the OpenSSH control masters whose sockets are in
// dir, so that no run starts with warm connections.
func CloseSSHMasters(dir, name string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		exec.Command("ssh", "-o", "ControlPath="+filepath.Join(dir, e.Name()), "-O", "exit", name).Run()
	}
}

// Ratio prints one ratio with its target (none when target is "") and
// whether it was met: a measure, never a failure.
func Ratio(what string, num, den float64, target string, pass bool) {
	if target == "" {
		fmt.Printf("   %-45s %8.2f×\n", what, num/den)
		return
	}
	mark := "PASS"
	if !pass {
		mark = "MISS"
	}
	fmt.Printf("   %-45s %8.2f×   target %-5s %s\n", what, num/den, target, mark)
}

// FmtSec prints seconds as milliseconds below one second.
func FmtSec(s float64) string {
	if s < 1 {
		return fmt.Sprintf("%.0fms", s*1000)
	}
	return fmt.Sprintf("%.2fs", s)
}

// Output is a command's trimmed standard output, or its error.
func Output(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return name + ": " + err.Error()
	}
	return strings.TrimSpace(string(out))
}

// LoadAverage is the machine's 1, 5 and 15 minute load averages.
func LoadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// FirstLine is a version banner's first line, without redis-server's
// build hash.
func FirstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	if i := strings.Index(line, " sha="); i >= 0 {
		line = line[:i]
	}
	return line
}

// Tail is the last n bytes of s.
func Tail(s string, n int) string {
	if len(s) > n {
		s = "..." + s[len(s)-n:]
	}
	return s
}

// MachineCPU is the CPU time every process of this machine has used since
// boot (user, nice, system, irq and softirq in /proc/stat), to within a
// clock tick (10 ms); 0 where there is no /proc/stat.
func MachineCPU() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq ...
	if len(f) < 8 || f[0] != "cpu" {
		return 0
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7} {
		n, _ := strconv.ParseInt(f[i], 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// Prepare is what a benchmark against Ansible does first: a work
// directory named after who, the playbook directory ansibleDir made
// absolute (it must hold playbook), ansible-core and the lab's packages
// installed, and roma built there (or bin, when given). The caller removes
// work, also when it fails.
func Prepare(ctx context.Context, who, ansibleDir, playbook, bin string) (work, ansible, roma string, err error) {
	if os.Geteuid() != 0 {
		return "", "", "", errors.New("the lab needs root")
	}
	if work, err = os.MkdirTemp("", "roma-"+who+"-"); err != nil {
		return "", "", "", err
	}
	if ansible, err = filepath.Abs(ansibleDir); err != nil {
		return work, "", "", err
	}
	if _, err := os.Stat(filepath.Join(ansible, playbook)); err != nil {
		return work, "", "", fmt.Errorf("the playbook: %w (run from the repository root or pass -ansible)", err)
	}
	if err := EnsureDebian(who, "ansible-playbook", "ansible-core"); err != nil {
		return work, "", "", err
	}
	if err := lab.EnsurePackages(); err != nil { // redis-server, redis-cli, sshd
		return work, "", "", err
	}
	roma, err = BuildRoma(ctx, bin, work)
	return work, ansible, roma, err
}

// ProcCPU is the CPU time of process pid: the sum over its threads of
// the time on a CPU that /proc/PID/task/TID/schedstat gives, in ns.
func ProcCPU(pid int) (time.Duration, error) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	var sum time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/schedstat")
		if err != nil {
			continue // a thread that just ended
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			return 0, fmt.Errorf("%s/%s/schedstat: empty", dir, t.Name())
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s/%s/schedstat: %v", dir, t.Name(), err)
		}
		sum += time.Duration(ns)
	}
	return sum, nil
}
