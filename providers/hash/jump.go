package hash

import (
	"fmt"
	"math"
)

// jump is Lamping and Veach's jump consistent hash of the FNV-1a 64-bit
// hash of the key's hashed part. When n grows to n+1, a key either stays or
// moves to the new partition n, and about 1/(n+1) of the keys move.
type jump struct{}

// MaxJumpPartitions is the largest partition count jump accepts: the
// algorithm is defined for a 32-bit signed bucket count.
const MaxJumpPartitions = math.MaxInt32

func (jump) Partition(key []byte, n int) (int, error) {
	if err := checkN(n); err != nil {
		return 0, err
	}
	if n > MaxJumpPartitions {
		return 0, fmt.Errorf("hash: jump: %d partitions: at most %d", n, MaxJumpPartitions)
	}
	return jumpHash(fnv1a64(HashedPart(key)), n), nil
}

// FNV-1a 64-bit parameters.
const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

// fnv1a64 is the 64-bit FNV-1a hash of b (hash/fnv's New64a, without the
// allocation).
func fnv1a64(b []byte) uint64 {
	h := uint64(fnvOffset64)
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime64
	}
	return h
}

// jumpHash is the algorithm of "A Fast, Minimal Memory, Consistent Hash
// Algorithm" (Lamping and Veach, 2014); 1 <= n <= MaxInt32. It gives what
// jumpRef, the paper's loop line for line, gives. On the few partitions of
// most clusters it is faster: the paper's loop ends at a random step, a
// branch the processor mostly guesses wrong. Since j rises by at least 1 a
// step, n-1 steps always reach the answer, so the first steps (up to
// jumpSteps) run whatever j is: once j reaches n it is held at n (which
// also keeps the products in range) and b no longer moves. On more than
// jumpSmall partitions, where the loop runs more steps, it is the paper's
// loop (BenchmarkJumpSteps).
func jumpHash(key uint64, n int) int {
	if n > jumpSmall {
		return jumpRef(key, n)
	}
	var b, j int64
	nn := int64(n)
	steps := min(n-1, jumpSteps)
	for range steps {
		key = key*2862933555777941757 + 1
		j = min(int64(float64(j+1)*(float64(int64(1)<<31)/float64((key>>33)+1))), nn)
		if j < nn {
			b = j
		}
	}
	if steps == n-1 { // n-1 steps: the answer
		return int(b)
	}
	for j < nn {
		b = j
		key = key*2862933555777941757 + 1
		j = int64(float64(b+1) * (float64(int64(1)<<31) / float64((key>>33)+1)))
	}
	return int(b)
}

const (
	jumpSteps = 4  // steps jumpHash takes before it tests j
	jumpSmall = 16 // the most partitions jumpHash takes them for
)

// jumpRef is the paper's algorithm, line for line: the reference jumpHash
// is tested against.
func jumpRef(key uint64, n int) int {
	var b, j int64 = -1, 0
	for j < int64(n) {
		b = j
		key = key*2862933555777941757 + 1
		j = int64(float64(b+1) * (float64(int64(1)<<31) / float64((key>>33)+1)))
	}
	return int(b)
}
