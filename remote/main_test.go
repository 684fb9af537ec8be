package remote_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/remote"
)

// TestMain shares one 8-host lab among the package's SSH tests.
func TestMain(m *testing.M) { os.Exit(lab.Main(m, lab.Options{Hosts: 8})) }

// testCtx bounds a test's steps so that a hang fails instead of stalling.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// dialLab connects to the lab host name with cfg changed by edit.
func dialLab(t testing.TB, l *lab.Lab, name string, edit func(*remote.SSHConfig)) (*remote.SSH, error) {
	cfg := l.SSHConfig(name)
	if edit != nil {
		edit(&cfg)
	}
	s, err := remote.DialSSH(testCtx(t), cfg)
	if err == nil {
		t.Cleanup(func() { s.Close() })
	}
	return s, err
}

func mustDial(t testing.TB, l *lab.Lab, name string, edit func(*remote.SSHConfig)) *remote.SSH {
	t.Helper()
	s, err := dialLab(t, l, name, edit)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
