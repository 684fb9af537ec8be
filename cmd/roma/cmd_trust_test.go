package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/remote"
	"golang.org/x/crypto/ssh"
)

// trustHCL is a roma.hcl for the lab's db1 and db2 that keeps host keys
// in $WORK/known_hosts (empty at first), plus a host "gone" where nothing
// listens and a local one.
const trustHCL = `
cluster "trust" {
  partitions = 1
}

dynamic "host" {
  for_each = { db1 = env("DB1_ADDR"), db2 = env("DB2_ADDR"), gone = env("UNUSED") }
  labels   = [host.key]
  content {
    address = host.value
    ssh {
      user          = "root"
      port          = 2222
      identity_file = env("LAB_KEY")
      known_hosts   = "known_hosts"
    }
  }
}

host "here" {
  transport = "local"
  root      = ".run"
}

node "db1-7000" {
  host      = "db1"
  port      = 7000
  partition = 0
}

node "db2-7000" {
  host      = "db2"
  port      = 7000
  partition = 0
}
`

// startTrustLab starts a 2-host lab for a trust test and writes roma.hcl
// for it in dir; it returns the lab and the environment the config needs.
func startTrustLab(dir string) (*lab.Lab, []string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, err := lab.Start(ctx, lab.Options{Hosts: 2})
	if err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "roma.hcl"), []byte(trustHCL), 0o644); err != nil {
		l.Close()
		return nil, nil, err
	}
	env := []string{
		"DB1_ADDR=" + l.Host("db1").Address,
		"DB2_ADDR=" + l.Host("db2").Address,
		"UNUSED=" + l.UnusedAddress(),
		"LAB_KEY=" + l.IdentityFile,
		// Fingerprints as regular expressions, for stdout and stderr.
		"DB1_FP=" + regexp.QuoteMeta(l.Host("db1").HostKeyFingerprint()),
		"DB2_FP=" + regexp.QuoteMeta(l.Host("db2").HostKeyFingerprint()),
		"SSH_AUTH_SOCK=",
		"NO_COLOR=1",
	}
	return l, env, nil
}

// TestTrustScripts runs testdata/trust against a lab of its own per script.
//
// Extra command:
//
//	wrongkey HOST FILE   record a key that is not HOST's in the known_hosts FILE
func TestTrustScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/trust",
		RequireExplicitExec: true,
		UpdateScripts:       os.Getenv("ROMA_UPDATE_SCRIPTS") == "1",
		Setup: func(env *testscript.Env) error {
			l, vars, err := startTrustLab(env.WorkDir)
			if err != nil {
				if os.Geteuid() == 0 || os.Getenv("CI") == "true" {
					return fmt.Errorf("lab cannot start: %w", err)
				}
				env.T().Skip("lab cannot start (not root, not CI): ", err)
			}
			env.Defer(func() { l.Close() })
			env.Values["lab"] = l
			env.Setenv("HOME", env.WorkDir) // no ~/.ssh/config, ~/.ssh/known_hosts
			for _, kv := range vars {
				k, v, _ := strings.Cut(kv, "=")
				env.Setenv(k, v)
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"wrongkey": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: wrongkey HOST FILE")
				}
				h := ts.Value("lab").(*lab.Lab).Host(args[0])
				if h == nil {
					ts.Fatalf("no lab host %s", args[0])
				}
				ts.Check(remote.AppendKnownHost(ts.MkAbs(args[1]), h.Addr(), otherKey(ts)))
			},
		},
	})
}

func otherKey(ts *testscript.TestScript) ssh.PublicKey {
	// A fixed key that no lab host has (lab keys are generated per lab).
	const line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMl4ZFSlkB1mMXrCHaG2BtxxIKxyxUxM+tG7Nw2Sid+a"
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
	ts.Check(err)
	return k
}

// TestTrustPrompt answers the confirmation on a (pretend) terminal.
func TestTrustPrompt(t *testing.T) {
	dir := t.TempDir()
	l, vars, err := startTrustLab(dir)
	lab.Require(t, err)
	defer l.Close()
	for _, kv := range vars {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("HOME", dir)
	orig := isTerminal
	isTerminal = func(io.Reader) bool { return true }
	defer func() { isTerminal = orig }()
	kh := filepath.Join(dir, "known_hosts")
	trust := func(answer string, hosts ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(append([]string{"trust", "-c", dir}, hosts...), strings.NewReader(answer), &out, &errb)
		return code, out.String(), errb.String()
	}

	code, out, errs := trust("n\n", "db1")
	if code != 1 || !strings.Contains(out, "[y/N]") || !strings.Contains(errs, "db1: not trusted: the key was not confirmed") {
		t.Errorf("answering n: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if _, err := os.Stat(kh); err == nil {
		t.Errorf("known_hosts written though the key was refused")
	}

	code, out, errs = trust("y\nyes\n", "db1", "db2")
	fp1, fp2 := l.Host("db1").HostKeyFingerprint(), l.Host("db2").HostKeyFingerprint()
	want := fmt.Sprintf("db1 (%s): ssh-ed25519 %s\nTrust this key for db1 and record it in %s? [y/N] db1: trusted, recorded in %s\n"+
		"db2 (%s): ssh-ed25519 %s\nTrust this key for db2 and record it in %s? [y/N] db2: trusted, recorded in %s\n",
		l.Host("db1").Addr(), fp1, kh, kh, l.Host("db2").Addr(), fp2, kh, kh)
	if code != 0 || out != want || errs != "" {
		t.Errorf("answering y: exit %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", code, out, want, errs)
	}
	b, _ := os.ReadFile(kh)
	if strings.Count(string(b), "\n") != 2 {
		t.Errorf("known_hosts:\n%s", b)
	}

	// End of input counts as no.
	os.Remove(kh)
	if code, _, errs := trust("", "db1"); code != 1 || !strings.Contains(errs, "not confirmed") {
		t.Errorf("at end of input: exit %d, stderr:\n%s", code, errs)
	}
}
