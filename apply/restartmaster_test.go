package apply

import (
	"strings"
	"testing"
)

func TestRestartMaster(t *testing.T) {
	names := []string{"a", "b", "c"}
	for _, tc := range []struct {
		name      string
		keys      []int64
		published string
		want      string
		why       string
	}{
		{"the published master, though another holds more keys", []int64{90, 10, 50}, "b", "b", "the master romad last published"},
		{"the published master, all empty", []int64{0, 0, 0}, "c", "c", "the master romad last published"},
		{"the published master holds nothing while others do", []int64{5, 0, 7}, "b", "c", "b, the master romad last published, holds no key"},
		{"the published master unreadable", []int64{5, -1, 7}, "b", "c", "holds no key"},
		{"no published master: the most keys", []int64{5, 9, 7}, "", "b", "it holds the most keys"},
		{"a published master not among them", []int64{5, 9, 7}, "x", "b", "it holds the most keys"},
		{"no published master, a tie with the first", []int64{9, 9, 7}, "", "a", "none holds more keys"},
		{"no published master, all empty", []int64{0, 0, 0}, "", "a", "none holds more keys"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i, why := restartMaster(names, tc.keys, tc.published)
			if names[i] != tc.want || !strings.Contains(why, tc.why) {
				t.Errorf("restartMaster(%v, %q) = %s (%s), want %s (%s)", tc.keys, tc.published, names[i], why, tc.want, tc.why)
			}
		})
	}
}
