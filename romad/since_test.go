package romad

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconn/redistest"
	"github.com/roma-redis/roma/status"
)

// TestSinceAfterUnseenRestart: a node whose redis-server (real, just
// started) has run for less time than the published status says it has
// been up was restarted while no romad watched (roma stop, then start):
// the status says it is up since its start, not since the old time. A
// node up for longer keeps its time.
func TestSinceAfterUnseenRestart(t *testing.T) {
	ctx := context.Background()
	s := redistest.Start(t, "")
	c := redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: 2})
	defer c.Close()
	info, err := c.Info(ctx, "replication", "keyspace", "memory", "persistence", "server").Result()
	if err != nil {
		t.Fatal(err)
	}
	v := &nodeView{Name: "n1", Addr: s.Addr, Partition: 0, lastOK: time.Now(), everOK: true}
	v.parseInfo(info)
	spec := &cluster.Spec{Name: "since", Partitions: 1, Nodes: []cluster.Node{{Name: "n1", Host: "h", Port: s.Port}}}
	d := &Daemon{spec: spec, views: map[string]*nodeView{"n1": v}, downAfter: time.Second}

	build := func(since time.Time) time.Time {
		a := &alphaState{epoch: 1, masters: []string{"n1"}, lost: []string{""},
			since: map[string]time.Time{"n1": since}, states: map[string]string{"n1": status.NodeUp}}
		return d.build(a).Nodes["n1"].Since
	}
	started := time.Now().Add(-time.Minute) // redistest.Start has just returned
	if got := build(time.Now().Add(-10 * time.Minute)); got.Before(started) {
		t.Errorf("a node restarted unseen: up since %s, want since its start (after %s)", got.Format(time.TimeOnly), started.Format(time.TimeOnly))
	}
	// Up since a moment before its start (what romad saw, rounded): kept.
	recent := time.Now().Add(-500 * time.Millisecond).UTC()
	if got := build(recent); !got.Equal(recent) {
		t.Errorf("a node up since %s: the status says %s, want it kept", recent.Format(time.StampMilli), got.Format(time.StampMilli))
	}
}

// TestSinceDown: a node found down (no answer for down_after) is down
// since its last answer, not since the moment romad decided: the status
// used to say "down 1s" of a node that had not answered for 4s.
func TestSinceDown(t *testing.T) {
	lastOK := time.Now().Add(-3 * time.Second)
	v := &nodeView{Name: "n1", Addr: "127.0.0.1:1", Partition: 0, lastOK: lastOK, everOK: true}
	spec := &cluster.Spec{Name: "since", Partitions: 1, Nodes: []cluster.Node{{Name: "n1", Host: "h", Port: 1}}}
	d := &Daemon{spec: spec, views: map[string]*nodeView{"n1": v}, downAfter: time.Second}
	a := &alphaState{epoch: 1, masters: []string{"n1"}, lost: []string{""},
		since: map[string]time.Time{"n1": time.Now().Add(-10 * time.Minute)}, states: map[string]string{"n1": status.NodeUp}}
	n := d.build(a).Nodes["n1"]
	if n.State != status.NodeDown || !n.Since.Equal(lastOK) {
		t.Errorf("node n1, last answer at %s: %s since %s, want down since its last answer",
			lastOK.Format(time.StampMilli), n.State, n.Since.Format(time.StampMilli))
	}
	// The next status keeps it.
	if n := d.build(a).Nodes["n1"]; !n.Since.Equal(lastOK) {
		t.Errorf("the next status: down since %s, want %s", n.Since.Format(time.StampMilli), lastOK.Format(time.StampMilli))
	}
}
