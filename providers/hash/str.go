package hash

import (
	"fmt"
	"hash/crc32"
	"strings"
	"unsafe"
)

// StringFunc is implemented by a [Func] that can hash a key held in a
// string without copying it to a []byte. PartitionString(key, n) returns
// what Partition([]byte(key), n) returns. jump and modulo implement it.
type StringFunc interface {
	PartitionString(key string, n int) (int, error)
}

// HashedPartString is [HashedPart] of a key held in a string; the result
// shares key's memory.
func HashedPartString(key string) string {
	open := strings.IndexByte(key, '{')
	if open < 0 {
		return key
	}
	rest := key[open+1:]
	end := strings.IndexByte(rest, '}')
	if end <= 0 {
		return key
	}
	return rest[:end]
}

// fnv1a64String is fnv1a64 of a string.
func fnv1a64String(s string) uint64 {
	h := uint64(fnvOffset64)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime64
	}
	return h
}

func (jump) PartitionString(key string, n int) (int, error) {
	if err := checkN(n); err != nil {
		return 0, err
	}
	if n > MaxJumpPartitions {
		return 0, fmt.Errorf("hash: jump: %d partitions: at most %d", n, MaxJumpPartitions)
	}
	return jumpHash(fnv1a64String(HashedPartString(key)), n), nil
}

func (modulo) PartitionString(key string, n int) (int, error) {
	if err := checkN(n); err != nil {
		return 0, err
	}
	// crc32 only reads its argument: a view of the string's bytes is safe.
	s := HashedPartString(key)
	return int(uint64(crc32.ChecksumIEEE(unsafe.Slice(unsafe.StringData(s), len(s)))) % uint64(n)), nil
}
