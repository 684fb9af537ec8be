package plan

import "testing"

func TestOlder(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"7.0.15", "7.2.4", true},
		{"6.2.14", "7.0.15", true},
		{"7.2.4", "7.0.15", false},
		{"7.0.11", "7.0.15", false}, // a patch release keeps the formats
		{"7.0.15", "7.0.15", false},
		{"8.0.0", "7.2.4", false},
		{"unknown", "7.0.15", false},
		{"7", "7.2.4", false},
	} {
		if got := older(tc.a, tc.b); got != tc.want {
			t.Errorf("older(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
