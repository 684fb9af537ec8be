package hash

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestMovedShareExact(t *testing.T) {
	const space = 1 << 32
	tests := map[string]struct {
		from, to   string
		nFrom, nTo int
		want       float64
	}{
		"jump same":       {"jump", "jump", 4, 4, 0},
		"jump grow":       {"jump", "jump", 4, 5, 0.2},
		"jump shrink":     {"jump", "jump", 10, 8, 0.2},
		"jump double":     {"jump", "jump", 4, 8, 0.5},
		"jump from one":   {"jump", "jump", 1, 1000, 0.999},
		"modulo same":     {"modulo", "modulo", 7, 7, 0},
		"modulo double":   {"modulo", "modulo", 4, 8, 0.5},
		"modulo 4 to 5":   {"modulo", "modulo", 4, 5, 1 - float64(space/20*4+4)/space},
		"modulo 3 to 4":   {"modulo", "modulo", 3, 4, 1 - float64(space/12*3+min(space%12, 3))/space},
		"modulo coprime":  {"modulo", "modulo", 999, 1000, 1 - float64(space/999000*999+min(space%999000, 999))/space},
		"modulo huge":     {"modulo", "modulo", 1 << 33, 1 << 34, 0},
		"modulo past crc": {"modulo", "modulo", 1 << 31, 3 << 31, 0.5},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := MovedShare(mustNew(t, tt.from), mustNew(t, tt.to), tt.nFrom, tt.nTo, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := Share{Moved: tt.want, Exact: true}
			if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
				t.Errorf("MovedShare (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMovedInBruteForce checks the counting formula for modulo against
// counting every value of a small space.
func TestMovedInBruteForce(t *testing.T) {
	const space = 1 << 12
	for n := uint64(1); n <= 40; n++ {
		for m := uint64(1); m <= 40; m++ {
			moved := 0
			for c := uint64(0); c < space; c++ {
				if c%n != c%m {
					moved++
				}
			}
			if got, want := movedIn(space, n, m), float64(moved)/space; got != want {
				t.Fatalf("movedIn(%d, %d, %d) = %v, want %v", space, n, m, got, want)
			}
		}
	}
	for _, nm := range [][2]uint64{{5000, 7000}, {1 << 13, 3}, {space, space + 1}} {
		moved := 0
		for c := uint64(0); c < space; c++ {
			if c%nm[0] != c%nm[1] {
				moved++
			}
		}
		if got, want := movedIn(space, nm[0], nm[1]), float64(moved)/space; got != want {
			t.Errorf("movedIn(%d, %v) = %v, want %v", space, nm, got, want)
		}
	}
}

// TestMovedShareMatchesSample checks each exact answer against real keys.
func TestMovedShareMatchesSample(t *testing.T) {
	sample := SampleKeys(DefaultSample)
	for _, spec := range []string{"jump", "modulo"} {
		f := mustNew(t, spec)
		for _, nm := range [][2]int{{4, 5}, {4, 8}, {10, 7}, {3, 4}} {
			exact, err := MovedShare(f, f, nm[0], nm[1], nil)
			if err != nil {
				t.Fatal(err)
			}
			sampled, err := sampledShare(f, f, nm[0], nm[1], sample)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(exact.Moved-sampled.Moved) > 0.01 {
				t.Errorf("%s %d→%d: exact %v, sample %v", spec, nm[0], nm[1], exact, sampled)
			}
		}
	}
}

func TestMovedShareSampled(t *testing.T) {
	jf, mf := mustNew(t, "jump"), mustNew(t, "modulo")
	got, err := MovedShare(jf, mf, 1, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Share{Moved: 0, Keys: DefaultSample}, got); diff != "" {
		t.Errorf("one partition (-want +got):\n%s", diff)
	}
	got, err = MovedShare(jf, mf, 4, 4, nil)
	if err != nil || got.Exact || got.Keys != DefaultSample || math.Abs(got.Moved-0.75) > 0.01 {
		t.Errorf("jump→modulo on 4 = %v, %v; want about 75%% from a sample", got, err)
	}

	prog := &Exec{Program: testProgram(t)}
	got, err = MovedShare(prog, prog, 2, 2, SampleKeys(20))
	if diff := cmp.Diff(Share{Moved: 0, Keys: 20}, got); diff != "" || err != nil {
		t.Errorf("exec, same count (-want +got), err %v:\n%s", err, diff)
	}
	if _, err := MovedShare(prog, jf, 2, 2, [][]byte{[]byte("nan")}); !errMatches(err, "not a partition number") {
		t.Errorf("bad exec answer not reported: %v", err)
	}
	if _, err := MovedShare(jf, mf, 2, 2, [][]byte{}); err == nil {
		t.Error("empty sample accepted")
	}
	if _, err := MovedShare(jf, jf, 0, 2, nil); err == nil {
		t.Error("0 partitions accepted")
	}
	if s := (Share{Moved: 0.2, Exact: true}).String(); s != "20.00% (exact)" {
		t.Errorf("String() = %q", s)
	}
}
