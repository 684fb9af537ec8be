package lab

import (
	"context"
	"fmt"
	"os/exec"
	"path"
	"strconv"
	"strings"
)

// Exec runs a program inside the host's mount and UTS namespaces with
// nsenter, as root on that machine, without going through SSH (which a
// fault test may have broken). It returns the combined output.
func (h *Host) Exec(ctx context.Context, name string, args ...string) ([]byte, error) {
	pid := h.Pid()
	if pid == 0 {
		return nil, fmt.Errorf("lab: %s is stopped", h.Name)
	}
	argv := append([]string{"--target", strconv.Itoa(pid), "--mount", "--uts", "--", name}, args...)
	out, err := exec.CommandContext(ctx, "nsenter", argv...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("lab: %s: %s %s: %w: %s", h.Name, name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return out, nil
}

// MountTmpfs mounts a tmpfs of size (such as "1m") on dir, which must lie
// under /var/lib/roma, inside the host only: a small disk that fills up.
// unmount removes it again (and dir, if MountTmpfs made it).
func (h *Host) MountTmpfs(ctx context.Context, dir, size string) (unmount func() error, err error) {
	dir = path.Clean(dir)
	if !strings.HasPrefix(dir, mountPoint+"/") {
		return nil, fmt.Errorf("lab: %s: tmpfs %s is not under %s", h.Name, dir, mountPoint)
	}
	if _, err := h.Exec(ctx, "mkdir", "-p", dir); err != nil {
		return nil, err
	}
	if _, err := h.Exec(ctx, "mount", "-t", "tmpfs", "-o", "size="+size+",mode=0755", "roma-lab-tmpfs", dir); err != nil {
		return nil, err
	}
	return func() error {
		if _, err := h.Exec(context.Background(), "umount", "-l", dir); err != nil {
			return err
		}
		_, err := h.Exec(context.Background(), "rmdir", dir)
		return err
	}, nil
}
