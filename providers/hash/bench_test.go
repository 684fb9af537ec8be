package hash

import "testing"

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
