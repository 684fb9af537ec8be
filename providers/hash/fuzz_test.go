package hash

import (
	"bytes"
	"math"
	"testing"
)

// FuzzPartition checks, for any key and partition count, that jump and
// modulo answer in [0, n), that jump only ever moves a key to the new
// partition, and that HashedPart is a non-empty, '}'-free piece of the key
// whenever it is not the whole key.
func FuzzPartition(f *testing.F) {
	for _, k := range []string{"", "a", "{user1000}.following", "foo{}{bar}", "foo{{bar}}zap", "foo{bar}{zap}", "\xff\x00{"} {
		for _, n := range []int{1, 2, 3, 10, 1000, math.MaxInt32} {
			f.Add([]byte(k), n)
		}
	}
	f.Fuzz(func(t *testing.T, key []byte, n int) {
		if n < 1 || n > MaxJumpPartitions {
			n = int(uint(n)%MaxJumpPartitions) + 1
		}
		part := HashedPart(key)
		if len(part) != len(key) {
			i := bytes.IndexByte(key, '{')
			if len(part) == 0 || bytes.IndexByte(part, '}') >= 0 || i < 0 || !bytes.HasPrefix(key[i+1:], part) {
				t.Fatalf("HashedPart(%q) = %q", key, part)
			}
		}
		j, err := jump{}.Partition(key, n)
		if err != nil || j < 0 || j >= n {
			t.Fatalf("jump(%q, %d) = %d, %v", key, n, j, err)
		}
		if n < MaxJumpPartitions {
			if j2, _ := (jump{}).Partition(key, n+1); j2 != j && j2 != n {
				t.Fatalf("jump(%q): %d on %d partitions, %d on %d", key, j, n, j2, n+1)
			}
		}
		m, err := modulo{}.Partition(key, n)
		if err != nil || m < 0 || m >= n {
			t.Fatalf("modulo(%q, %d) = %d, %v", key, n, m, err)
		}
	})
}
