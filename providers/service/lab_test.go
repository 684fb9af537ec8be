package service

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/remote"
)

// TestProcessOverSSH runs the process manager against two lab hosts over
// SSH: the same node layout (same paths, same port) on each, every Redis
// binding its own host's address. Each redis-server lives in its host's
// namespace, outlives the SSH connection that started it, and stops.
func TestProcessOverSSH(t *testing.T) {
	needRedis(t)
	l := lab.New(t, lab.Options{Hosts: 2})
	ctx := testCtx(t)
	m := testProcess()
	const port = 7000
	layout := cluster.Layout{Root: "/var/lib/roma"}

	units := map[string]Unit{}
	for _, h := range l.Hosts {
		tr, err := h.Dial(ctx)
		if err != nil {
			t.Fatal(err)
		}
		name := h.Name + "-7000"
		u := RedisUnit("lab", layout, name)
		units[h.Name] = u
		conf := fmt.Sprintf("port %d\nbind %s\ndir %s\npidfile %s\nlogfile %s\ndaemonize yes\nsave \"\"\n",
			port, h.Address, layout.Data(name), layout.Pid(name), layout.Log(name))
		for _, d := range layout.Dirs() {
			if err := tr.MkdirAll(ctx, d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := tr.WriteFile(ctx, layout.Conf(name), []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := m.Start(ctx, tr, u); err != nil {
			t.Fatalf("Start on %s: %v", h.Name, err)
		}
		tr.Close() // the node must outlive the connection that started it
	}

	for _, h := range l.Hosts {
		tr, err := h.Dial(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		u := units[h.Name]
		s, err := m.Status(ctx, tr, u)
		if err != nil || !s.Running {
			t.Fatalf("Status on %s after reconnecting = %+v, %v; want running", h.Name, s, err)
		}
		if !slices.Contains(h.Processes(), s.Pid) {
			t.Errorf("%s: redis-server (pid %d) is not in the host's namespace", h.Name, s.Pid)
		}
		out, err := remote.Output(ctx, tr, fmt.Sprintf("redis-cli -h %s -p %d ping", h.Address, port))
		if err != nil || strings.TrimSpace(string(out)) != "PONG" {
			t.Errorf("%s: PING = %q, %v", h.Name, out, err)
		}
		if err := m.Stop(ctx, tr, u); err != nil {
			t.Fatalf("Stop on %s: %v", h.Name, err)
		}
		if s, err := m.Status(ctx, tr, u); err != nil || s.Running {
			t.Errorf("Status on %s after Stop = %+v, %v", h.Name, s, err)
		}
	}
}
