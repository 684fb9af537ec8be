package plan

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
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
