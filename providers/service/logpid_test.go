package service

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestProbeLog: the process a Redis log names is the one that wrote its
// last line from the banner on, past the offset; a line before the banner
// (a daemonizing parent's) or before the offset (an earlier run's) names
// none.
func TestProbeLog(t *testing.T) {
	ctx := testCtx(t)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	gone, me := dead.Process.Pid, os.Getpid()
	line := func(pid int, role, msg string) string {
		return fmt.Sprintf("%d:%s 27 Nov 2026 17:30:08.281 # %s\n", pid, role, msg)
	}
	old := line(gone, "M", "an earlier run")
	banner := "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo"
	tests := map[string]struct {
		after     string // the log past the offset
		pid       int
		wantAlive bool
	}{
		"nothing new":             {after: "", pid: 0},
		"no banner yet":           {after: line(gone, "M", "a warning of the parent"), pid: 0},
		"a live server":           {after: line(gone, "M", "parent") + line(me, "C", banner) + line(me, "M", "Ready to accept connections"), pid: me, wantAlive: true},
		"a server that aborted":   {after: line(gone, "C", banner) + line(gone, "M", "Failed listening on port 7000 (TCP), aborting."), pid: gone},
		"lines of other programs": {after: line(me, "C", banner) + "sh: 1: something else\n", pid: me, wantAlive: true},
		"the last of two servers": {after: line(gone, "C", banner) + line(me, "C", banner), pid: me, wantAlive: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "node.log")
			if err := os.WriteFile(f, []byte(old+tc.after), 0o644); err != nil {
				t.Fatal(err)
			}
			p, err := probeLog(ctx, local, f, int64(len(old)))
			if err != nil {
				t.Fatal(err)
			}
			if p.Pid != tc.pid || (p.Pid != 0 && p.alive() != tc.wantAlive) {
				t.Errorf("probeLog = pid %d, alive %v; want pid %d, alive %v", p.Pid, p.alive(), tc.pid, tc.wantAlive)
			}
		})
	}
	p, err := probeLog(ctx, local, filepath.Join(t.TempDir(), "none.log"), 0)
	if err != nil || p.Pid != 0 {
		t.Errorf("a missing log: pid %d, %v", p.Pid, err)
	}
}
