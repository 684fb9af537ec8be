package remote_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/remote"
	"github.com/roma-redis/roma/remote/remotetest"
)

func TestSSHConformance(t *testing.T) {
	l := lab.Shared(t)
	s := mustDial(t, l, "db1", nil) // one connection shared by every subtest
	remotetest.Run(t, func(*testing.T) remote.Transport { return s }, "/var/lib/roma/remotetest")
}

// TestSSHProxyJumpConformance reaches db2 through db1.
func TestSSHProxyJumpConformance(t *testing.T) {
	l := lab.Shared(t)
	s := mustDial(t, l, "db2", func(c *remote.SSHConfig) {
		c.ProxyJump = "root@" + l.Host("db1").Addr()
	})
	if out, err := remote.Output(testCtx(t), s, "hostname"); err != nil || string(out) != "lab-db2\n" {
		t.Fatalf("hostname through jump = %q, %v", out, err)
	}
	remotetest.Run(t, func(*testing.T) remote.Transport { return s }, "/var/lib/roma/remotetest-jump")
}

// TestSSHConfigFile reaches a host named only in an OpenSSH client config.
func TestSSHConfigFile(t *testing.T) {
	l := lab.Shared(t)
	s, err := remote.DialSSH(testCtx(t), remote.SSHConfig{Host: "db3", SSHConfigFile: l.SSHConfigFile})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := s.Config()
	want := l.SSHConfig("db3")
	if diff := cmp.Diff([]any{want.Address, want.Port, want.User, want.IdentityFiles, want.KnownHosts},
		[]any{got.Address, got.Port, got.User, got.IdentityFiles, got.KnownHosts}); diff != "" {
		t.Errorf("config from ssh_config (-want +got):\n%s", diff)
	}
	if out, err := remote.Output(testCtx(t), s, "hostname"); err != nil || string(out) != "lab-db3\n" {
		t.Errorf("hostname = %q, %v", out, err)
	}
}

// TestOneConnection checks that concurrent commands and file operations
// share one SSH connection: the host sees a single connection process.
func TestOneConnection(t *testing.T) {
	l := lab.Shared(t)
	s := mustDial(t, l, "db6", nil)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := fmt.Sprintf("/var/lib/roma/one-%d", i)
			if err := s.WriteFile(testCtx(t), p, []byte("x"), 0o644); err != nil {
				t.Error(err)
			}
			if _, err := remote.Output(testCtx(t), s, "cat "+p); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	// Other labs may run on this machine: count only db6's processes.
	var conns []string
	for _, pid := range l.Host("db6").Processes() {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if args := strings.TrimRight(string(b), "\x00"); args == "sshd: root@notty" {
			conns = append(conns, fmt.Sprintf("%d %s", pid, args))
		}
	}
	if len(conns) != 1 {
		t.Errorf("sshd connection processes on db6 = %q; want 1", conns)
	}
}

func TestForEach(t *testing.T) {
	l := lab.Shared(t)
	pool := remote.NewPool(func(ctx context.Context, host string) (remote.Transport, error) {
		s, err := remote.DialSSH(ctx, l.SSHConfig(host))
		if err != nil {
			return nil, err
		}
		return s, nil
	})
	defer pool.Close()
	var mu sync.Mutex
	var got []string
	err := remote.ForEach(testCtx(t), l.Names(), 4, func(ctx context.Context, host string) error {
		tr, err := pool.Get(ctx, host)
		if err != nil {
			return err
		}
		out, err := remote.Output(ctx, tr, "hostname")
		mu.Lock()
		got = append(got, strings.TrimSpace(string(out)))
		mu.Unlock()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	var want []string
	for _, h := range l.Hosts {
		want = append(want, h.Hostname)
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hostnames (-want +got):\n%s", diff)
	}
}

// TestForEachErrors checks that per-host failures are joined, each naming
// its host, and stay matchable with errors.Is.
func TestForEachErrors(t *testing.T) {
	l := lab.Shared(t)
	// db9 is set up like db8, but at an address where nothing listens.
	down := l.SSHConfig("db8")
	down.Host, down.Address, down.DialAttempts = "db9", l.UnusedAddress(), 1
	cfgs := map[string]remote.SSHConfig{"db1": l.SSHConfig("db1"), "db9": down}
	err := remote.ForEach(testCtx(t), []string{"db1", "db9"}, 0, func(ctx context.Context, host string) error {
		s, err := remote.DialSSH(ctx, cfgs[host])
		if err != nil {
			return err
		}
		defer s.Close()
		_, err = remote.Output(ctx, s, "exit 2")
		return err
	})
	msg := fmt.Sprint(err)
	if !errors.Is(err, remote.ErrUnreachable) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("ForEach error %q does not match ErrUnreachable and ECONNREFUSED", msg)
	}
	if !strings.Contains(msg, `db1: run "exit 2": exit status 2`) || !strings.Contains(msg, "db9 (") {
		t.Errorf("ForEach error does not name each host:\n%s", msg)
	}
}
