package romad

import (
	"testing"
	"time"

	"github.com/roma-redis/roma/cluster"
)

// TestSwitchedTo: romad follows a planned switchover (the master m now
// follows x, which is master), but not on a view of m probed before its
// own last failover of the partition: right after it promoted x in
// place of an m that still runs (m restarted behind x), m's last view
// still shows x following it, and following "the switchover" would hand
// the partition back to m.
func TestSwitchedTo(t *testing.T) {
	now := time.Now()
	view := func(name, role, master string, probed time.Time) *nodeView {
		return &nodeView{Name: name, Addr: "10.0.0.1:" + name, everOK: true, lastOK: now,
			Role: role, MasterAddr: master, probed: probed, Priority: 100}
	}
	for _, tc := range []struct {
		name         string
		m, x         *nodeView
		lastFailover time.Time
		want         string
	}{
		{"a switchover", view("m", "slave", "10.0.0.1:x", now), view("x", "master", "", now), time.Time{}, "x"},
		{"a switchover after a failover", view("m", "slave", "10.0.0.1:x", now), view("x", "master", "", now), now.Add(-time.Second), "x"},
		{"a view from before the failover", view("m", "slave", "10.0.0.1:x", now.Add(-50*time.Millisecond)), view("x", "master", "", now), now, ""},
		{"x is no master", view("m", "slave", "10.0.0.1:x", now), view("x", "slave", "10.0.0.1:m", now), time.Time{}, ""},
		{"m is master", view("m", "master", "", now), view("x", "master", "", now), time.Time{}, ""},
		{"m follows no node of the partition", view("m", "slave", "10.0.0.1:y", now), view("x", "master", "", now), time.Time{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := &cluster.Spec{Name: "c", Partitions: 1, Nodes: []cluster.Node{{Name: "m", Host: "h"}, {Name: "x", Host: "h"}}}
			d := &Daemon{spec: spec, views: map[string]*nodeView{"m": tc.m, "x": tc.x}, downAfter: time.Second}
			a := &alphaState{masters: []string{"m"}, lost: []string{""}, lastFailover: map[int]time.Time{0: tc.lastFailover}}
			if got := d.switchedTo(a, 0, "m"); got != tc.want {
				t.Errorf("switchedTo = %q, want %q", got, tc.want)
			}
		})
	}
}
