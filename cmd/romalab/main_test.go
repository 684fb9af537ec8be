package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestUpDown starts a persistent lab the way "make lab-up" does, reaches
// a host with OpenSSH's own client as the printed instructions say, and
// stops it again.
func TestUpDown(t *testing.T) {
	if os.Geteuid() != 0 && os.Getenv("CI") != "true" {
		t.Skip("the lab needs root")
	}
	dir := filepath.Join(t.TempDir(), "lab")
	var out, errb bytes.Buffer
	if code := run([]string{"up", "-hosts", "2", "-dir", dir}, &out, &errb); code != 0 {
		t.Fatalf("romalab up: exit %d: %s", code, errb.String())
	}
	t.Cleanup(func() { run([]string{"down", "-dir", dir}, &bytes.Buffer{}, &bytes.Buffer{}) })
	t.Logf("romalab up:\n%s", out.String())
	pids := regexp.MustCompile(`(?m)^  db[12] +127\.0\.\d+\.1[12] +2222 +(\d+)$`).FindAllStringSubmatch(out.String(), -1)
	if len(pids) != 2 || !strings.Contains(out.String(), "ssh -F "+dir+"/ssh_config db1") {
		t.Fatalf("romalab up output lacks the hosts or how to reach them:\n%s", out.String())
	}
	for _, f := range []string{"id_ed25519", "known_hosts", "ssh_config"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	ssh, err := exec.Command("ssh", "-F", filepath.Join(dir, "ssh_config"), "-o", "BatchMode=yes", "db2", "hostname").CombinedOutput()
	if err != nil || string(ssh) != "lab-db2\n" {
		t.Errorf("ssh -F ssh_config db2 hostname: %q, %v", ssh, err)
	}

	out.Reset()
	if code := run([]string{"down", "-dir", dir}, &out, &errb); code != 0 {
		t.Fatalf("romalab down: exit %d: %s", code, errb.String())
	}
	for _, m := range pids {
		if _, err := os.Stat("/proc/" + m[1] + "/ns/mnt"); err == nil {
			t.Errorf("sshd pid %s survived romalab down", m[1])
		}
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("%s survived romalab down", dir)
	}
	// Down again: nothing to do, not an error.
	if code := run([]string{"down", "-dir", dir}, &out, &errb); code != 0 {
		t.Errorf("second romalab down: exit %d: %s", code, errb.String())
	}
}

// TestDownRefusesOtherDirs: down removes only what a lab wrote.
func TestDownRefusesOtherDirs(t *testing.T) {
	dir := t.TempDir()
	keep := filepath.Join(dir, "precious")
	if err := os.WriteFile(keep, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"down", "-dir", dir}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "does not hold a lab") {
		t.Errorf("down of a non-lab dir: exit %d, %s", code, errb.String())
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("down removed a file it did not write: %v", err)
	}
	if os.Geteuid() == 0 {
		if code := run([]string{"up", "-hosts", "1", "-dir", dir}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "not empty and holds no lab") {
			t.Errorf("up in a non-empty dir: exit %d, %s", code, errb.String())
		}
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("up removed a file it did not write: %v", err)
		}
	}
	if code := run([]string{"up"}, &out, &errb); code != 2 {
		t.Errorf("up without -dir: exit %d, want 2", code)
	}
}
