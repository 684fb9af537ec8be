package plan

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/hclspec"
)

func TestRomadBinary(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(RomadDirEnv, dir)
	write := func(name string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// No build for arm64: a clear refusal that says how to make one.
	_, err := RomadBinary("Linux", "aarch64")
	if err == nil || !strings.Contains(err.Error(), "no romad build for linux/arm64") ||
		!strings.Contains(err.Error(), "GOOS=linux GOARCH=arm64 go build -o bin/romad-linux-arm64 ./cmd/romad") {
		t.Errorf("RomadBinary(Linux, aarch64) error = %v", err)
	}
	arm := write("romad-linux-arm64")
	if got, err := RomadBinary("Linux", "aarch64"); err != nil || got != arm {
		t.Errorf("RomadBinary(Linux, aarch64) = %q, %v; want %q", got, err, arm)
	}
	// A plain "romad" serves only this machine's OS and architecture.
	native := write("romad")
	if runtime.GOOS == "linux" && runtime.GOARCH == "amd64" {
		if got, err := RomadBinary("Linux", "x86_64"); err != nil || got != native {
			t.Errorf("RomadBinary(Linux, x86_64) = %q, %v; want %q", got, err, native)
		}
		if _, err := RomadBinary("Linux", "riscv64"); err == nil {
			t.Error("a native romad was offered for riscv64")
		}
	}
}

// TestRomadFilesLeaveSettingsOut: romad's files do not change with the
// redis.conf settings, which romad does not use, and hold no sensitive
// setting; they do change with what romad uses, and load back as the
// cluster.
func TestRomadFilesLeaveSettingsOut(t *testing.T) {
	const base = `
variable "pw" {
  sensitive = true
  default   = "cluster-password-1"
}
variable "renamed" {
  sensitive = true
  default   = "KEYS secret-keys-name-2"
}
cluster "c" {
  partitions = 2
  password   = var.pw
  redis {
    maxmemory      = "%s"
    rename-command = [var.renamed]
  }
}
host "a" {
  address = "127.0.0.1"
}
node "a-7000" {
  host      = "a"
  port      = 7000
  partition = 0
  redis { maxmemory-policy = "%s" }
}
node "a-7001" {
  host      = "a"
  port      = 7001
  partition = 1
}
status "st" {
  host = "a"
  port = 7100
}
romad {
  hosts      = ["a"]
  down_after = "%s"
}
`
	load := func(t *testing.T, src string) *cluster.Spec {
		t.Helper()
		cfg, diags := hclspec.LoadSource([]byte(src), "roma.hcl", t.TempDir(), hclspec.Options{})
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		return cfg.Spec
	}
	files := func(t *testing.T, maxmemory, policy, downAfter string) (string, string) {
		t.Helper()
		config, secrets, err := RomadFiles(load(t, fmt.Sprintf(base, maxmemory, policy, downAfter)))
		if err != nil {
			t.Fatal(err)
		}
		return string(config), string(secrets)
	}
	config, secrets := files(t, "64mb", "allkeys-lru", "5s")
	for _, s := range []string{"maxmemory", "rename-command", "secret-keys-name-2", "redis {"} {
		if strings.Contains(config, s) || strings.Contains(secrets, s) {
			t.Errorf("romad's files hold %q:\n%s\n%s", s, config, secrets)
		}
	}
	if !strings.Contains(secrets, "cluster-password-1") {
		t.Errorf("romad's secrets lack the cluster password:\n%s", secrets)
	}
	if c2, s2 := files(t, "1gb", "noeviction", "5s"); c2 != config || s2 != secrets {
		t.Errorf("romad's files changed with the redis settings alone:\n%s\n%s", cmp.Diff(config, c2), cmp.Diff(secrets, s2))
	}
	if c3, _ := files(t, "64mb", "allkeys-lru", "7s"); c3 == config {
		t.Error("romad's config did not change with romad's down_after")
	}

	// What romad loads is the cluster, settings aside.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "roma.hcl"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secrets.hcl"), []byte(secrets), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, diags := hclspec.Load(filepath.Join(dir, "roma.hcl"), hclspec.Options{VarFiles: []string{filepath.Join(dir, "secrets.hcl")}})
	if diags.HasErrors() {
		t.Fatalf("romad's config does not load: %s", diags.Error())
	}
	want := load(t, fmt.Sprintf(base, "64mb", "allkeys-lru", "5s"))
	got := cfg.Spec
	ignore := cmpopts.IgnoreFields(cluster.Spec{}, "Redis", "Nodes", "Dir")
	if d := cmp.Diff(want, got, ignore, cmp.Comparer(func(a, b cluster.Secret) bool { return a.Reveal() == b.Reveal() })); d != "" {
		t.Errorf("romad's spec (-roma.hcl +romad's):\n%s", d)
	}
	for i := range want.Nodes {
		want.Nodes[i].Redis = nil
		got.Nodes[i].Redis = nil
	}
	if d := cmp.Diff(want.Nodes, got.Nodes); d != "" {
		t.Errorf("romad's nodes (-roma.hcl +romad's):\n%s", d)
	}
}
