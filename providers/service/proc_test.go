package service

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseProbe(t *testing.T) {
	tests := map[string]struct {
		out  string
		want proc
	}{
		"no pidfile": {out: "", want: proc{}},
		"empty pidfile": {
			out:  "pidfile=\n",
			want: proc{HasPidfile: true},
		},
		"garbage": {
			out:  "pidfile=hello\n",
			want: proc{HasPidfile: true, PidText: "hello"},
		},
		"dead pid": {
			out:  "pidfile=4242\n",
			want: proc{HasPidfile: true, PidText: "4242", Pid: 4242},
		},
		"redis": {
			out: "pidfile=4242\nstat=4242 (redis-server) S 1 4242 4242 0 -1 4194624 \nexe=/usr/bin/redis-server\ncmd=redis-server 127.0.0.1:7000\n",
			want: proc{HasPidfile: true, PidText: "4242", Pid: 4242, Exists: true, State: "S",
				Comm: "redis-server", Exe: "/usr/bin/redis-server", Cmd: "redis-server 127.0.0.1:7000"},
		},
		"zombie": {
			out:  "pidfile=4242\nstat=4242 (redis-server) Z 1 4242 \nexe=\ncmd=\n",
			want: proc{HasPidfile: true, PidText: "4242", Pid: 4242, Exists: true, State: "Z", Comm: "redis-server"},
		},
		"binary replaced": {
			out: "pid=77\nstat=77 (romad) S 1\nexe=/var/lib/roma/bin/romad (deleted)\ncmd=/var/lib/roma/bin/romad\n",
			want: proc{PidText: "77", Pid: 77, Exists: true, State: "S", Comm: "romad",
				Exe: "/var/lib/roma/bin/romad", Cmd: "/var/lib/roma/bin/romad"},
		},
		"name with parentheses": {
			out:  "pid=9\nstat=9 (a) b (c) R 1\n",
			want: proc{PidText: "9", Pid: 9, Exists: true, State: "R", Comm: "a) b (c"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, parseProbe([]byte(tt.out))); diff != "" {
				t.Errorf("parseProbe (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProcDescribe(t *testing.T) {
	redis := proc{HasPidfile: true, PidText: "4242", Pid: 4242, Exists: true, State: "S",
		Comm: "redis-server", Exe: "/usr/bin/redis-server", Cmd: "redis-server 127.0.0.1:7000"}
	with := func(edit func(*proc)) proc { p := redis; edit(&p); return p }
	tests := map[string]struct {
		p       proc
		program string
		runs    bool
		detail  string
	}{
		"running":         {p: redis, program: "redis-server", runs: true, detail: "running (pid 4242)"},
		"no pidfile":      {p: proc{}, program: "redis-server", detail: "stopped"},
		"garbage":         {p: proc{HasPidfile: true, PidText: "x"}, program: "redis-server", detail: `stale pidfile: "x" is not a pid`},
		"gone":            {p: proc{HasPidfile: true, PidText: "4242", Pid: 4242}, program: "redis-server", detail: "stale pidfile: pid 4242 is not running"},
		"zombie":          {p: with(func(p *proc) { p.State = "Z" }), program: "redis-server", detail: "stale pidfile: pid 4242 has exited"},
		"another program": {p: with(func(p *proc) { p.Exe, p.Cmd, p.Comm = "/usr/bin/sleep", "sleep", "sleep" }), program: "redis-server", detail: "stale pidfile: pid 4242 is sleep, not redis-server"},
		"by exe only":     {p: with(func(p *proc) { p.Cmd = "custom title" }), program: "redis-server", runs: true, detail: "running (pid 4242)"},
		"by argv0 only":   {p: with(func(p *proc) { p.Exe = "/usr/bin/dash"; p.Cmd = "sh" }), program: "sh", runs: true, detail: "running (pid 4242)"},
		"argv0 path":      {p: with(func(p *proc) { p.Exe = ""; p.Cmd = "/opt/redis/bin/redis-server *:7000" }), program: "redis-server", runs: true, detail: "running (pid 4242)"},
		"unreadable, by comm": {
			p:       with(func(p *proc) { p.Exe, p.Cmd, p.Comm = "", "", "very-long-progr" }),
			program: "very-long-program-name", runs: true, detail: "running (pid 4242)",
		},
		"unreadable, other comm": {
			p:       with(func(p *proc) { p.Exe, p.Cmd, p.Comm = "", "", "sleep" }),
			program: "redis-server", detail: "stale pidfile: pid 4242 is sleep, not redis-server",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tt.p.runs(tt.program); got != tt.runs {
				t.Errorf("runs(%q) = %v, want %v", tt.program, got, tt.runs)
			}
			if got := tt.p.describe(tt.program); got != tt.detail {
				t.Errorf("describe(%q) = %q, want %q", tt.program, got, tt.detail)
			}
		})
	}
}

// TestProbeLive probes real processes: a live one, a zombie (exited, not
// yet reaped by this test, its parent) and a reaped one.
func TestProbeLive(t *testing.T) {
	ctx := testCtx(t)
	sleep := exec.Command("sleep", "300")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	pid := sleep.Process.Pid
	reaped := false
	defer func() {
		if !reaped {
			sleep.Process.Kill()
			sleep.Wait()
		}
	}()

	p, err := probe(ctx, local, "", pid)
	if err != nil {
		t.Fatal(err)
	}
	if !p.runs("sleep") || p.runs("redis-server") || !strings.HasSuffix(p.Exe, "/sleep") || p.Cmd != "sleep" {
		t.Errorf("live sleep: %+v", p)
	}

	syscall.Kill(pid, syscall.SIGKILL)
	deadline := time.Now().Add(5 * time.Second)
	for p.State != "Z" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		if p, err = probe(ctx, local, "", pid); err != nil {
			t.Fatal(err)
		}
	}
	if !p.Exists || p.alive() || p.runs("sleep") {
		t.Errorf("zombie sleep: %+v, want it to exist and not be alive", p)
	}

	sleep.Wait()
	reaped = true
	if p, err = probe(ctx, local, "", pid); err != nil {
		t.Fatal(err)
	}
	if p.Exists || p.alive() {
		t.Errorf("reaped sleep: %+v, want it gone", p)
	}
}
