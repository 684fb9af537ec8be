package store

import (
	"context"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strings"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/remote"
)

// Dialer reaches a host of roma.hcl (remote.Dial with the command's
// options).
type Dialer func(ctx context.Context, h cluster.Host) (remote.Transport, error)

// Connect returns the store that where names: "HOST:/dir" is a directory
// on a host roma.hcl declares, reached through its transport; anything
// else is a directory on this machine. A host whose transport is "local"
// is this machine too. The closer closes the connection, if any.
func Connect(ctx context.Context, spec *cluster.Spec, where string, dial Dialer) (Store, io.Closer, error) {
	if where == "" {
		return nil, nil, fmt.Errorf("no backup store: roma.hcl declares no backup block; name one with --to HOST:/dir or a local directory")
	}
	if host, dir, ok := strings.Cut(where, ":"); ok && !strings.Contains(host, "/") {
		h, found := spec.Host(host)
		if !found {
			return nil, nil, fmt.Errorf("backup store %q: roma.hcl declares no host %q (a store is HOST:/dir or a local directory)", where, host)
		}
		if !path.IsAbs(dir) {
			return nil, nil, fmt.Errorf("backup store %q: the directory on %s must be an absolute path", where, host)
		}
		if h.Transport == cluster.TransportLocal {
			return Dir(dir), io.NopCloser(nil), nil
		}
		t, err := dial(ctx, h)
		if err != nil {
			return nil, nil, fmt.Errorf("backup store on %s: %w", host, err)
		}
		return OnHost(t, dir), t, nil
	}
	abs, err := filepath.Abs(where)
	if err != nil {
		return nil, nil, err
	}
	return Dir(abs), io.NopCloser(nil), nil
}

// Declared returns where roma.hcl's backup block keeps backups
// ("HOST:/dir"), or "" when it declares none.
func Declared(spec *cluster.Spec) string {
	if spec.Backup == nil || spec.Backup.Host == "" || spec.Backup.Dir == "" {
		return ""
	}
	return spec.Backup.Host + ":" + spec.Backup.Dir
}
