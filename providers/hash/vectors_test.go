package hash

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// vectorNs are the partition counts of testdata/vectors.txt's columns.
var vectorNs = []int{1, 2, 3, 4, 10, 1000}

// vector is one line of testdata/vectors.txt.
type vector struct {
	Key     []byte
	Hashed  []byte
	FNV     uint64
	CRC     uint32
	Jump    []int
	Modulo  []int
	Display string
}

func readVectors(t testing.TB) []vector {
	t.Helper()
	data, err := os.ReadFile("testdata/vectors.txt")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	for i, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		v, err := parseVector(line)
		if err != nil {
			t.Fatalf("testdata/vectors.txt:%d: %v", i+1, err)
		}
		vs = append(vs, v)
	}
	if len(vs) < 20 {
		t.Fatalf("only %d vectors", len(vs))
	}
	return vs
}

func parseVector(line string) (vector, error) {
	f := strings.Split(line, "\t")
	if len(f) != 7 {
		return vector{}, fmt.Errorf("%d columns, want 7", len(f))
	}
	var v vector
	var err error
	hexBytes := func(s string) []byte {
		b, e := hex.DecodeString(strings.TrimPrefix(s, "0x"))
		if e != nil && err == nil {
			err = e
		}
		return b
	}
	ints := func(s string) []int {
		var out []int
		for _, p := range strings.Split(s, ",") {
			n, e := strconv.Atoi(p)
			if e != nil && err == nil {
				err = e
			}
			out = append(out, n)
		}
		return out
	}
	v.Key, v.Hashed = hexBytes(f[0]), hexBytes(f[1])
	v.FNV, _ = strconv.ParseUint(f[2], 16, 64)
	crc, _ := strconv.ParseUint(f[3], 16, 32)
	v.CRC = uint32(crc)
	v.Jump, v.Modulo, v.Display = ints(f[4]), ints(f[5]), f[6]
	return v, err
}

// TestVectors checks the Go functions against every documented vector.
func TestVectors(t *testing.T) {
	jf, mf := mustNew(t, "jump"), mustNew(t, "modulo")
	for _, want := range readVectors(t) {
		t.Run(want.Display, func(t *testing.T) {
			got := vector{Key: want.Key, Display: want.Display}
			got.Hashed = HashedPart(want.Key)
			got.FNV = fnv1a64(got.Hashed)
			got.CRC = crc32.ChecksumIEEE(got.Hashed)
			for _, n := range vectorNs {
				got.Jump = append(got.Jump, mustPartition(t, jf, want.Key, n))
				got.Modulo = append(got.Modulo, mustPartition(t, mf, want.Key, n))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("vector mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVectorsMatchPython checks that the independent Python implementation
// still prints exactly testdata/vectors.txt.
func TestVectorsMatchPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed: vectors are checked against the Go code only")
	}
	out, err := exec.Command(py, "testdata/vectors.py").Output()
	if err != nil {
		t.Fatalf("testdata/vectors.py: %v", err)
	}
	file, err := os.ReadFile("testdata/vectors.txt")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, file) {
		t.Errorf("testdata/vectors.py output differs from testdata/vectors.txt (-file +python):\n%s",
			cmp.Diff(string(file), string(out)))
	}
}

func mustNew(t testing.TB, spec string) Func {
	t.Helper()
	f, err := New(spec)
	if err != nil {
		t.Fatalf("New(%q): %v", spec, err)
	}
	return f
}

func mustPartition(t testing.TB, f Func, key []byte, n int) int {
	t.Helper()
	p, err := f.Partition(key, n)
	if err != nil {
		t.Fatalf("Partition(%q, %d): %v", key, n, err)
	}
	return p
}
