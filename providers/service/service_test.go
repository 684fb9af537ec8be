package service

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/roma-redis/roma/cluster"
)

func TestRedisUnit(t *testing.T) {
	got := RedisUnit("shop", cluster.Layout{Root: "/var/lib/roma"}, "db1-7000")
	want := Unit{
		Cluster: "shop",
		Name:    "db1-7000",
		Kind:    KindRedis,
		Argv:    []string{"redis-server", "/var/lib/roma/conf/db1-7000.conf"},
		Dir:     "/var/lib/roma/data/db1-7000",
		PidFile: "/var/lib/roma/run/db1-7000.pid",
		LogFile: "/var/lib/roma/log/db1-7000.log",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RedisUnit (-want +got):\n%s", diff)
	}
}

func TestUnitCheck(t *testing.T) {
	good := RedisUnit("shop", cluster.Layout{Root: "/var/lib/roma"}, "db1-7000")
	with := func(edit func(*Unit)) Unit {
		u := good
		u.Argv = append([]string{}, good.Argv...)
		edit(&u)
		return u
	}
	tests := map[string]struct {
		u    Unit
		want string // "" for no error
	}{
		"good":            {u: good},
		"no name":         {u: with(func(u *Unit) { u.Name = "" }), want: `service "": no name`},
		"unknown kind":    {u: with(func(u *Unit) { u.Kind = "nginx" }), want: `unknown kind "nginx" (want "redis" or "romad")`},
		"no program":      {u: with(func(u *Unit) { u.Argv = nil }), want: "no program"},
		"empty program":   {u: with(func(u *Unit) { u.Argv[0] = "" }), want: "no program"},
		"prefix program":  {u: with(func(u *Unit) { u.Argv[0] = "-redis-server" }), want: "starts with a character systemd reads as a prefix"},
		"slash in name":   {u: with(func(u *Unit) { u.Name = "../x" }), want: `name "../x" contains a slash`},
		"relative pid":    {u: with(func(u *Unit) { u.PidFile = "run/x.pid" }), want: `pidfile "run/x.pid" is not an absolute path`},
		"newline in arg":  {u: with(func(u *Unit) { u.Argv[1] = "a\nb" }), want: `argument 1 "a\nb" contains a control character`},
		"newline in user": {u: with(func(u *Unit) { u.User = "roma\n" }), want: `user "roma\n" contains a control character`},
		"several": {
			u:    with(func(u *Unit) { u.Kind = ""; u.LogFile = "x.log" }),
			want: "service \"db1-7000\": unknown kind \"\" (want \"redis\" or \"romad\")\nlogfile \"x.log\" is not an absolute path",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			err := tt.u.check()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("check = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("check = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestProcessNeedsPidfile(t *testing.T) {
	u := RedisUnit("shop", cluster.Layout{Root: "/var/lib/roma"}, "db1-7000")
	u.PidFile = ""
	_, err := (&Process{}).Status(testCtx(t), local, u)
	if err == nil || !strings.Contains(err.Error(), "needs a pidfile") {
		t.Errorf("Status without a pidfile = %v", err)
	}
}

func TestFor(t *testing.T) {
	for _, name := range []string{cluster.ServiceSystemd, cluster.ServiceProcess} {
		m, err := For(name)
		if err != nil {
			t.Fatalf("For(%q): %v", name, err)
		}
		if m.Name() != name {
			t.Errorf("For(%q).Name() = %q", name, m.Name())
		}
	}
	_, err := For("upstart")
	if !errors.Is(err, ErrUnknownManager) || err.Error() != `unknown service manager "upstart"; valid managers are process, systemd` {
		t.Errorf("For(upstart) = %v", err)
	}
	if diff := cmp.Diff([]string{"process", "systemd"}, Names()); diff != "" {
		t.Errorf("Names (-want +got):\n%s", diff)
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Register of a taken name did not panic")
		}
	}()
	Register("process", &Process{})
}

func TestStartErrorMessage(t *testing.T) {
	err := &StartError{Host: "db1", Service: "db1-7000", Reason: "redis-server exited with status 1",
		Output: []string{">>> 'maxmemory lots'", "argument must be a memory value"}}
	want := "db1: start db1-7000: redis-server exited with status 1; it said:\n" +
		"    >>> 'maxmemory lots'\n    argument must be a memory value"
	if err.Error() != want {
		t.Errorf("Error() =\n%s\nwant\n%s", err, want)
	}
	err.Output = nil
	if want := "db1: start db1-7000: redis-server exited with status 1"; err.Error() != want {
		t.Errorf("Error() = %s, want %s", err, want)
	}
}
