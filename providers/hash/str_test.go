package hash

import "testing"

// TestPartitionString checks that the string path of jump and modulo
// gives what Partition gives, on every test vector.
func TestPartitionString(t *testing.T) {
	for _, name := range []string{"jump", "modulo"} {
		f, err := New(name)
		if err != nil {
			t.Fatal(err)
		}
		sf, ok := f.(StringFunc)
		if !ok {
			t.Fatalf("%s does not implement StringFunc", name)
		}
		for _, v := range readVectors(t) {
			if got, want := HashedPartString(string(v.Key)), string(HashedPart(v.Key)); got != want {
				t.Errorf("HashedPartString(%q) = %q, want %q", v.Key, got, want)
			}
			for _, n := range append(vectorNs, 0, -1, 7, 65536) {
				want, werr := f.Partition(v.Key, n)
				got, gerr := sf.PartitionString(string(v.Key), n)
				if got != want || (gerr == nil) != (werr == nil) {
					t.Errorf("%s: PartitionString(%q, %d) = %d, %v; Partition gives %d, %v", name, v.Key, n, got, gerr, want, werr)
				}
			}
		}
		if got, _ := sf.PartitionString("", 10); got != mustPart(t, f, nil, 10) {
			t.Errorf("%s: empty key differs", name)
		}
	}
}

func mustPart(t *testing.T, f Func, key []byte, n int) int {
	t.Helper()
	p, err := f.Partition(key, n)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
