//go:build unix

package hash

import (
	"os/exec"
	"syscall"
)

// killGroup makes cmd the leader of a new process group and, on timeout,
// kills the whole group, so a shell script's children die with it.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
