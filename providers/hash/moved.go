package hash

import (
	"errors"
	"fmt"
	"math/bits"
	"strconv"
)

// Share is the share of keys whose partition changes between two
// (function, partition count) pairs.
type Share struct {
	// Moved is in [0, 1]: 0 when every key stays, 1 when every key moves.
	Moved float64
	// Exact is true when Moved comes from the functions' definitions
	// rather than from a sample of keys; see MovedShare.
	Exact bool
	// Keys is the sample size when Exact is false, else 0.
	Keys int
}

func (s Share) String() string {
	if s.Exact {
		return fmt.Sprintf("%.2f%% (exact)", 100*s.Moved)
	}
	return fmt.Sprintf("%.2f%% (sample of %d keys)", 100*s.Moved, s.Keys)
}

// Default sample sizes for MovedShare when the caller gives no sample.
const (
	DefaultSample     = 100000 // in-process functions
	DefaultExecSample = 1000   // when either function runs a program per key
)

// MovedShare returns the share of keys whose partition under (from, nFrom)
// differs from their partition under (to, nTo).
//
// It is exact (Share.Exact) in two cases, both assuming, as the functions
// are designed for, that the hash values of real keys are uniformly
// distributed:
//
//   - jump to jump: the expected share over uniformly random 64-bit FNV
//     values, 1 - min(n,m)/max(n,m) (jump moves a key only to a new
//     partition, each partition holding 1/max of the keys).
//   - modulo to modulo: the share of all 2^32 CRC-32 values c with
//     c mod n != c mod m, counted exactly. With L = lcm(n,m), c stays
//     exactly when c mod L < min(n,m), so about 1 - min(n,m)/L of the keys
//     move (80% for 4 to 5, 50% for 4 to 8).
//
// Equal (function, count) pairs of jump or modulo move nothing. In every
// other case (an exec or registered function, or jump against modulo)
// MovedShare partitions the sample under both and counts; a nil sample
// means SampleKeys(DefaultSample), or DefaultExecSample for exec functions.
func MovedShare(from, to Func, nFrom, nTo int, sample [][]byte) (Share, error) {
	if err := errors.Join(checkN(nFrom), checkN(nTo)); err != nil {
		return Share{}, err
	}
	switch from.(type) {
	case jump:
		if _, ok := to.(jump); ok {
			lo, hi := min(nFrom, nTo), max(nFrom, nTo)
			return Share{Moved: 1 - float64(lo)/float64(hi), Exact: true}, nil
		}
	case modulo:
		if _, ok := to.(modulo); ok {
			return Share{Moved: moduloMoved(uint64(nFrom), uint64(nTo)), Exact: true}, nil
		}
	case nil:
		return Share{}, fmt.Errorf("hash: MovedShare from a nil Func")
	}
	if sample == nil {
		size := DefaultSample
		if _, ok := from.(*Exec); ok {
			size = DefaultExecSample
		}
		if _, ok := to.(*Exec); ok {
			size = DefaultExecSample
		}
		sample = SampleKeys(size)
	}
	return sampledShare(from, to, nFrom, nTo, sample)
}

func sampledShare(from, to Func, nFrom, nTo int, sample [][]byte) (Share, error) {
	if len(sample) == 0 {
		return Share{}, errors.New("hash: MovedShare needs a sample of at least one key")
	}
	moved := 0
	for _, k := range sample {
		a, err := from.Partition(k, nFrom)
		if err != nil {
			return Share{}, err
		}
		b, err := to.Partition(k, nTo)
		if err != nil {
			return Share{}, err
		}
		if a != b {
			moved++
		}
	}
	return Share{Moved: float64(moved) / float64(len(sample)), Keys: len(sample)}, nil
}

// moduloMoved is the exact share of the 2^32 CRC-32 values c for which
// c mod n != c mod m.
func moduloMoved(n, m uint64) float64 { return movedIn(1<<32, n, m) }

// movedIn is the share of the values c in [0, space) for which
// c mod n != c mod m.
func movedIn(space, n, m uint64) float64 {
	lo := min(n, m)
	// c mod n == c mod m exactly when c mod L < lo, with L = lcm(n, m).
	hi, l := bits.Mul64(n/gcd(n, m), m)
	var stay uint64
	if hi != 0 || l >= space {
		stay = min(lo, space) // every c < space <= L: c mod L == c
	} else {
		stay = space/l*lo + min(space%l, lo)
	}
	return float64(space-stay) / float64(space)
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// SampleKeys returns count deterministic keys, "key:0" to "key:<count-1>",
// for estimating a share of moved keys.
func SampleKeys(count int) [][]byte {
	keys := make([][]byte, count)
	for i := range keys {
		keys[i] = strconv.AppendInt([]byte("key:"), int64(i), 10)
	}
	return keys
}
