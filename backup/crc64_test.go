package backup

import (
	"bytes"
	"hash/crc64"
	"math/rand/v2"
	"testing"
)

// crc64Bitwise is Redis's CRC-64 computed one bit at a time from its
// definition (reflected input and output, polynomial 0xad93d23594c935a9,
// initial value 0, no final XOR): the reference the tables must match.
func crc64Bitwise(crc uint64, p []byte) uint64 {
	const poly = 0xad93d23594c935a9
	for _, b := range p {
		for i := range 8 {
			bit := b>>i&1 == 1
			top := crc>>63 == 1
			crc <<= 1
			if top != bit {
				crc ^= poly
			}
		}
	}
	return reflect64(crc)
}

// The loop above keeps the register unreflected, so the result is
// reflected back; feeding it again as crc needs the inverse.
func reflect64(v uint64) uint64 {
	var r uint64
	for i := range 64 {
		r |= (v >> i & 1) << (63 - i)
	}
	return r
}

func TestCRC64CheckValue(t *testing.T) {
	// The check value of CRC-64/Jones as Redis computes it (crc64.c's
	// own test: crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9ca).
	if got := crc64Update(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Errorf("crc64(123456789) = %016x, want e9c6d914c4b8d9ca", got)
	}
	if got := crc64Bitwise(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Errorf("bitwise crc64(123456789) = %016x, want e9c6d914c4b8d9ca", got)
	}
	// The catalogue's residue of CRC-64/REDIS is 0: a message followed by
	// its own CRC (little-endian, as an RDB file ends) hashes to 0.
	msg := []byte("a message and its checksum")
	c := crc64Update(0, msg)
	var le [8]byte
	for i := range le {
		le[i] = byte(c >> (8 * i))
	}
	if got := crc64Update(c, le[:]); got != 0 {
		t.Errorf("residue = %016x, want 0", got)
	}
}

// TestCRC64Implementations: the slicing-by-8 tables agree with the
// bitwise definition and with the standard library's CRC-64 given the
// same polynomial (whose initial and final inversion are undone), on
// every length and alignment, and incremental updates compose.
func TestCRC64Implementations(t *testing.T) {
	std := crc64.MakeTable(crc64Poly)
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 5000)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 63, 64, 65, 1000, 2047, 2048, 4999} {
		for _, off := range []int{0, 1, 3} {
			p := data[off : off+min(n, len(data)-off)]
			want := crc64Bitwise(0, p)
			if got := crc64Update(0, p); got != want {
				t.Fatalf("len %d off %d: slicing %016x, bitwise %016x", len(p), off, got, want)
			}
			if got := ^crc64.Update(^uint64(0), std, p); got != want {
				t.Fatalf("len %d off %d: stdlib %016x, bitwise %016x", len(p), off, got, want)
			}
			half := len(p) / 3
			if got := crc64Update(crc64Update(0, p[:half]), p[half:]); got != want {
				t.Fatalf("len %d off %d: split update %016x, want %016x", len(p), off, got, want)
			}
		}
	}
}

// TestTrailerCRC: whatever the sizes of the writes, the CRC covers all
// but the last 8 bytes, which are kept.
func TestTrailerCRC(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdefghij"), 50)
	want := crc64Update(0, data[:len(data)-8])
	for _, step := range []int{1, 3, 7, 8, 9, 64, 1000} {
		var c trailerCRC
		for i := 0; i < len(data); i += step {
			c.Write(data[i:min(i+step, len(data))])
		}
		got, trailer, ok := c.verdict()
		if !ok || got != want || trailer != leUint64(data[len(data)-8:]) {
			t.Errorf("step %d: crc %016x trailer %016x ok %v, want crc %016x", step, got, trailer, ok, want)
		}
	}
	var short trailerCRC
	short.Write([]byte("1234567"))
	if _, _, ok := short.verdict(); ok {
		t.Error("7 bytes gave a verdict")
	}
}

func leUint64(b []byte) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}
