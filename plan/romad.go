package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/hclspec"
)

// RomadDirEnv names a directory holding romad builds, searched before the
// directory of the roma executable.
const RomadDirEnv = "ROMA_ROMAD_DIR"

// GoArch maps uname -m to Go's GOARCH.
func GoArch(uname string) string {
	switch uname {
	case "x86_64", "amd64":
		return "amd64"
	case "aarch64", "arm64":
		return "arm64"
	case "armv7l", "armv6l":
		return "arm"
	case "i386", "i686":
		return "386"
	case "ppc64le":
		return "ppc64le"
	case "s390x":
		return "s390x"
	case "riscv64":
		return "riscv64"
	}
	return uname
}

// RomadBinary finds the romad build for a host reporting uname -s and -m
// as osName and arch: romad-<os>-<arch> in $ROMA_ROMAD_DIR or beside the
// roma executable, or romad there when it matches this machine.
func RomadBinary(osName, arch string) (string, error) {
	goos, goarch := strings.ToLower(osName), GoArch(arch)
	var dirs []string
	if d := os.Getenv(RomadDirEnv); d != "" {
		dirs = append(dirs, d)
	}
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Dir(exe))
	}
	for _, d := range dirs {
		for _, name := range []string{"romad-" + goos + "-" + goarch, "romad"} {
			if name == "romad" && (goos != runtime.GOOS || goarch != runtime.GOARCH) {
				continue
			}
			p := filepath.Join(d, name)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("no romad build for %s/%s (looked in %s): build one with GOOS=%s GOARCH=%s go build -o bin/romad-%s-%s ./cmd/romad",
		goos, goarch, strings.Join(dirs, ", "), goos, goarch, goos, goarch)
}

var sumCache sync.Map // path+size+mtime -> sha256

// FileSHA256 returns the hex SHA-256 of a local file.
func FileSHA256(p string) (string, error) {
	st, err := os.Stat(p)
	if err != nil {
		return "", err
	}
	key := fmt.Sprintf("%s|%d|%d", p, st.Size(), st.ModTime().UnixNano())
	if v, ok := sumCache.Load(key); ok {
		return v.(string), nil
	}
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	sumCache.Store(key, sum)
	return sum, nil
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// RomadFiles returns what apply writes for romad on host h: its config
// (the cluster as a self-contained roma.hcl) and its secrets file. They
// leave out the redis.conf settings (redis blocks), which romad does not
// use: a change of settings, the most common change of roma.hcl, neither
// restarts every romad (and hands the alpha over) nor gives romad a
// sensitive setting's value.
func RomadFiles(spec *cluster.Spec) (config, secrets []byte, err error) {
	if spec == nil {
		return hclspec.Generate(nil)
	}
	s := *spec
	s.Redis = nil
	s.Nodes = make([]cluster.Node, len(spec.Nodes))
	for i, n := range spec.Nodes {
		n.Redis = nil
		s.Nodes[i] = n
	}
	return hclspec.Generate(&s)
}

// RomadArgv is the command line of romad on host h.
func RomadArgv(h cluster.Host) []string {
	l := cluster.LayoutOf(h)
	return []string{l.RomadBin(), "-config", l.RomadConfig(), "-var-file", l.RomadSecrets(), "-host", h.Name}
}
