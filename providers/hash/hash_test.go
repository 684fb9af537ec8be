package hash

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHashedPart(t *testing.T) {
	tests := map[string]struct{ key, want string }{
		"no tag":              {"user1000", "user1000"},
		"empty key":           {"", ""},
		"tag":                 {"{user1000}.following", "user1000"},
		"tag in the middle":   {"a{b}c", "b"},
		"empty tag":           {"foo{}{bar}", "foo{}{bar}"},
		"first brace counts":  {"foo{{bar}}zap", "{bar"},
		"first tag only":      {"foo{bar}{zap}", "bar"},
		"only open":           {"{", "{"},
		"only close":          {"}", "}"},
		"close before open":   {"}{", "}{"},
		"unclosed":            {"{abc", "{abc"},
		"close then tag":      {"}{x}", "x"},
		"whole key is tag":    {"{abc}", "abc"},
		"empty then no close": {"{}{", "{}{"},
		"utf-8":               {"{日本}語", "日本"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := string(HashedPart([]byte(tt.key))); got != tt.want {
				t.Errorf("HashedPart(%q) = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}

func TestNewAndValidate(t *testing.T) {
	tests := map[string]struct {
		spec    string
		newErr  string // substring; "" means no error
		validOK bool
	}{
		"default":          {spec: "", validOK: true},
		"jump":             {spec: "jump", validOK: true},
		"modulo":           {spec: "modulo", validOK: true},
		"exec":             {spec: "exec:testdata/prog.sh", validOK: true},
		"exec missing":     {spec: "exec:/no/such/program", newErr: "hash program /no/such/program: not found", validOK: true},
		"exec not exec":    {spec: "exec:testdata/vectors.txt", newErr: "not found or not executable", validOK: true},
		"exec no program":  {spec: "exec:", newErr: `"exec:" needs a program`},
		"exec bare":        {spec: "exec", newErr: `"exec:" needs a program`},
		"unknown":          {spec: "jmup", newErr: `unknown hash function "jmup"; valid functions are exec:PROGRAM, jump, modulo`},
		"case matters":     {spec: "Jump", newErr: "unknown hash function"},
		"jump with arg":    {spec: "jump:x", newErr: `"jump" takes no argument`},
		"modulo with arg":  {spec: "modulo:7", newErr: `"modulo" takes no argument`},
		"unknown with arg": {spec: "crc16:x", newErr: "unknown hash function"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f, err := New(tt.spec)
			if !errMatches(err, tt.newErr) {
				t.Errorf("New(%q) error = %v, want %q", tt.spec, err, tt.newErr)
			}
			if err == nil && f == nil {
				t.Errorf("New(%q) = nil, nil", tt.spec)
			}
			if err := Validate(tt.spec); (err == nil) != tt.validOK {
				t.Errorf("Validate(%q) = %v, want ok=%v", tt.spec, err, tt.validOK)
			}
		})
	}
	if err := Validate("nope"); !errors.Is(err, ErrUnknownFunction) {
		t.Errorf("Validate(nope) = %v, want ErrUnknownFunction", err)
	}
}

type constFunc int

func (c constFunc) Partition(_ []byte, n int) (int, error) { return int(c) % n, nil }

func TestRegister(t *testing.T) {
	t.Cleanup(func() {
		registry.Lock()
		delete(registry.m, "test-const")
		registry.Unlock()
	})
	Register("test-const", func(arg string) (Func, error) {
		if arg != "3" {
			return nil, errors.New("want 3")
		}
		return constFunc(3), nil
	})
	f := mustNew(t, "test-const:3")
	if p := mustPartition(t, f, []byte("x"), 10); p != 3 {
		t.Errorf("test-const partition = %d, want 3", p)
	}
	if _, err := New("test-const:4"); err == nil {
		t.Error("factory error not returned")
	}
	if !strings.Contains(strings.Join(Names(), " "), "test-const[:ARG]") {
		t.Errorf("Names() = %q, missing test-const", Names())
	}
	for _, name := range []string{"test-const", "jump", "", "a:b"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", name)
				}
			}()
			Register(name, func(string) (Func, error) { return constFunc(0), nil })
		}()
	}
}

func TestBadPartitionCount(t *testing.T) {
	for _, spec := range []string{"jump", "modulo", "exec:testdata/prog.sh"} {
		f := mustNew(t, spec)
		for _, n := range []int{0, -1, math.MinInt} {
			if _, err := f.Partition([]byte("k"), n); !errMatches(err, "need at least 1") {
				t.Errorf("%s: Partition(k, %d) error = %v", spec, n, err)
			}
		}
	}
	if _, err := mustNew(t, "jump").Partition([]byte("k"), MaxJumpPartitions+1); err == nil {
		t.Error("jump accepted more than MaxJumpPartitions")
	}
	if p := mustPartition(t, mustNew(t, "jump"), []byte("k"), MaxJumpPartitions); p < 0 {
		t.Errorf("jump with MaxJumpPartitions = %d", p)
	}
	if p := mustPartition(t, mustNew(t, "modulo"), []byte("123456789"), math.MaxInt); p != 0xcbf43926 {
		t.Errorf("modulo with MaxInt = %d, want the CRC", p)
	}
}

// TestPublished checks the building blocks against published values: the
// FNV-1a test suite, the CRC-32 check value and Guava's jump golden values
// (Hashing.consistentHash, whose generator is the paper's).
func TestPublished(t *testing.T) {
	fnv := map[string]uint64{"": 0xcbf29ce484222325, "a": 0xaf63dc4c8601ec8c, "foobar": 0x85944171f73967e8}
	for in, want := range fnv {
		if got := fnv1a64([]byte(in)); got != want {
			t.Errorf("fnv1a64(%q) = %#x, want %#x", in, got, want)
		}
	}
	if got := mustPartition(t, modulo{}, []byte("123456789"), 1<<40); got != 0xcbf43926 {
		t.Errorf("CRC-32 check value = %#x", got)
	}
	var got []int
	for i := range uint64(20) {
		got = append(got, jumpHash(i, 100))
	}
	golden100 := []int{0, 55, 62, 8, 45, 59, 86, 97, 82, 59, 73, 37, 17, 56, 86, 21, 90, 37, 38, 83}
	if diff := cmp.Diff(golden100, got); diff != "" {
		t.Errorf("jump golden100 (-want +got):\n%s", diff)
	}
	more := []struct {
		key     uint64
		n, want int
	}{
		{10863919174838991, 11, 6}, {2016238256797177309, 11, 3}, {1673758223894951030, 11, 5},
		{2, 100001, 80343}, {2201, 100001, 22152}, {2202, 100001, 15018},
	}
	for _, m := range more {
		if got := jumpRef(m.key, m.n); got != m.want {
			t.Errorf("jumpRef(%d, %d) = %d, want %d", m.key, m.n, got, m.want)
		}
		if got := jumpHash(m.key, m.n); got != m.want {
			t.Errorf("jumpHash(%d, %d) = %d, want %d", m.key, m.n, got, m.want)
		}
	}
}

// TestJumpSameAsPaper checks jumpHash against jumpRef, the paper's loop:
// for every partition count up to 70 (which covers the steps taken without a
// test, the hand-over to the loop and the loop itself) and larger ones up to
// MaxJumpPartitions, on random keys, keys at the ends of the range and one
// whose steps leave int64.
func TestJumpSameAsPaper(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ns := []int{100, 1000, 100001, 1 << 20, MaxJumpPartitions - 1, MaxJumpPartitions}
	for n := 1; n <= 70; n++ {
		ns = append(ns, n)
	}
	// 16443938384003170292: its first two steps jump by 2^31 and 2^30,
	// and the product of the third leaves int64 unless held at n.
	keys := []uint64{0, 1, 2, math.MaxUint64, math.MaxUint64 - 1, 1 << 63, 16443938384003170292}
	for range 20000 {
		keys = append(keys, r.Uint64())
	}
	for _, n := range ns {
		for _, k := range keys {
			if got, want := jumpHash(k, n), jumpRef(k, n); got != want {
				t.Fatalf("jumpHash(%d, %d) = %d, the paper's loop gives %d", k, n, got, want)
			}
		}
	}
}

// TestJumpConsistent checks the properties the paper proves: one partition
// puts every key on 0, and growing n by one moves a key only to the new
// partition, about 1/n of them.
func TestJumpConsistent(t *testing.T) {
	keys := SampleKeys(20000)
	for _, k := range keys {
		if p := mustPartition(t, jump{}, k, 1); p != 0 {
			t.Fatalf("jump(%q, 1) = %d", k, p)
		}
	}
	for n := 1; n < 64; n++ {
		moved := 0
		for _, k := range keys {
			a, b := mustPartition(t, jump{}, k, n), mustPartition(t, jump{}, k, n+1)
			if a != b {
				if b != n {
					t.Fatalf("%q moved from %d to %d going from %d to %d partitions", k, a, b, n, n+1)
				}
				moved++
			}
		}
		share, want := float64(moved)/float64(len(keys)), 1/float64(n+1)
		if math.Abs(share-want) > 0.015 {
			t.Errorf("%d→%d partitions moved %.4f of keys, want about %.4f", n, n+1, share, want)
		}
	}
}

// TestZeroAlloc guards the client's hot path.
func TestZeroAlloc(t *testing.T) {
	key := []byte("{user1000}.following")
	for _, spec := range []string{"jump", "modulo"} {
		f := mustNew(t, spec)
		allocs := testing.AllocsPerRun(1000, func() {
			if _, err := f.Partition(key, 64); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s allocates %.1f times per key", spec, allocs)
		}
	}
}

func errMatches(err error, want string) bool {
	if want == "" {
		return err == nil
	}
	return err != nil && strings.Contains(err.Error(), want)
}
