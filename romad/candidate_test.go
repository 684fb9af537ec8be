package romad

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconn/redistest"
)

// TestCandidate: of a partition whose master m is down, only a replica of
// m may take over; a node that runs as master (restarted on its own, from
// older data) may not, whatever its offset. With no master known, the
// node holding the most keys leads.
func TestCandidate(t *testing.T) {
	now := time.Now()
	view := func(name, role, master string, offset, keys int64, up bool) *nodeView {
		v := &nodeView{Name: name, Addr: "10.0.0.1:" + name, Partition: 0, everOK: true, lastOK: now,
			Role: role, MasterAddr: master, Offset: offset, Keys: keys, Priority: 100}
		if !up {
			v.lastOK = now.Add(-time.Minute)
		}
		return v
	}
	for _, tc := range []struct {
		name  string
		views []*nodeView
		old   string
		want  string
	}{
		{"a replica of m", []*nodeView{
			view("m", "master", "", 500, 10, false),
			view("r1", "slave", "10.0.0.1:m", 400, 10, true),
		}, "m", "r1"},
		{"the replica with the highest offset", []*nodeView{
			view("m", "master", "", 500, 10, false),
			view("r1", "slave", "10.0.0.1:m", 400, 10, true),
			view("r2", "slave", "10.0.0.1:m", 450, 10, true),
		}, "m", "r2"},
		{"not a node running as master, on a higher offset", []*nodeView{
			view("m", "master", "", 500, 10, false),
			view("r1", "slave", "10.0.0.1:m", 400, 10, true),
			view("r2", "master", "", 900, 10, true),
		}, "m", "r1"},
		{"no node running as master, alone", []*nodeView{
			view("m", "master", "", 500, 10, false),
			view("r2", "master", "", 900, 10, true),
		}, "m", ""},
		{"not a replica of another node", []*nodeView{
			view("m", "master", "", 500, 10, false),
			view("r1", "slave", "10.0.0.1:x", 900, 10, true),
		}, "m", ""},
		{"not a replica never in sync with m", []*nodeView{
			view("m", "master", "", 500, 10, false),
			func() *nodeView {
				v := view("r1", "slave", "10.0.0.1:m", 900, 10, true)
				v.LinkDownFor = neverSynced
				return v
			}(),
		}, "m", ""},
		{"no master known: the most keys", []*nodeView{
			view("r1", "slave", "10.0.0.1:m", 400, 10, true),
			view("r2", "master", "", 100, 20, true),
		}, "", "r2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := &cluster.Spec{Name: "c", Partitions: 1}
			views := map[string]*nodeView{}
			for _, v := range tc.views {
				spec.Nodes = append(spec.Nodes, cluster.Node{Name: v.Name, Host: "h", Partition: 0})
				views[v.Name] = v
			}
			d := &Daemon{spec: spec, views: views, downAfter: time.Second}
			a := &alphaState{masters: []string{tc.old}, lost: []string{""}, lastKeys: map[string]int64{}}
			if got := d.candidate(a, 0, tc.old); got != tc.want {
				t.Errorf("candidate = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestNeverSynced: a real redis-server pointed at a master that never
// answers reports master_link_down_since_seconds:-1; romad reads it as a
// replica never in sync, which candidate passes over. Once in sync with a
// master that then stops, the link is down for a number of seconds.
func TestNeverSynced(t *testing.T) {
	ctx := context.Background()
	master := redistest.Start(t, "", "--repl-diskless-sync-delay", "0")
	replica := redistest.Start(t, "")
	c := redis.NewClient(&redis.Options{Addr: replica.Addr, Protocol: 2})
	defer c.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	view := func() *nodeView {
		t.Helper()
		info, err := c.Info(ctx, "replication", "keyspace").Result()
		if err != nil {
			t.Fatal(err)
		}
		v := &nodeView{Name: "r"}
		v.parseInfo(info)
		return v
	}
	if err := c.Do(ctx, "REPLICAOF", "127.0.0.1", strconv.Itoa(dead)).Err(); err != nil {
		t.Fatal(err)
	}
	if v := view(); v.Role != "slave" || v.LinkUp || v.LinkDownFor != neverSynced {
		t.Errorf("pointed at a master that never answers: role %s, link up %v, down for %v; want a replica never in sync", v.Role, v.LinkUp, v.LinkDownFor)
	}
	if err := c.Do(ctx, "REPLICAOF", "127.0.0.1", strconv.Itoa(master.Port)).Err(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !view().LinkUp; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the replica does not sync with a live master")
		}
	}
	master.Kill(t)
	time.Sleep(1500 * time.Millisecond)
	if v := view(); v.LinkUp || v.LinkDownFor == neverSynced || v.LinkDownFor > time.Minute {
		t.Errorf("in sync, then its master stopped: link up %v, down for %v; want down a second or so", v.LinkUp, v.LinkDownFor)
	}
}
