package hash

import (
	"fmt"
	"testing"
)

var benchKeys = [][]byte{
	[]byte("user:1000:profile"),
	[]byte("{user1000}.following"),
	[]byte("session:8f14e45fceea167a5a36dedd4bea2543"),
}

func benchmark(b *testing.B, f Func) {
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := f.Partition(benchKeys[i%len(benchKeys)], 64); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkJump(b *testing.B)   { benchmark(b, mustNew(b, "jump")) }
func BenchmarkModulo(b *testing.B) { benchmark(b, mustNew(b, "modulo")) }

// BenchmarkJumpSteps compares jumpHash with the paper's loop on keys that
// do not repeat (as a client's are), for the partition counts where
// jumpHash differs and one where it is the loop.
func BenchmarkJumpSteps(b *testing.B) {
	var keys []uint64
	for _, k := range SampleKeys(1 << 16) {
		keys = append(keys, fnv1a64(k))
	}
	for _, n := range []int{2, 4, 8, 16, 64} {
		for _, f := range []struct {
			name string
			f    func(uint64, int) int
		}{{"jumpHash", jumpHash}, {"paper", jumpRef}} {
			b.Run(fmt.Sprintf("%s/n=%d", f.name, n), func(b *testing.B) {
				s := 0
				for i := 0; b.Loop(); i++ {
					s += f.f(keys[i&(len(keys)-1)], n)
				}
				sinkInt = s
			})
		}
	}
}

var sinkInt int
