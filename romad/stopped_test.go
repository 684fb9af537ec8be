package romad

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/providers/alert"
	"github.com/roma-redis/roma/status"
)

// TestStoppedOnPurpose: a node roma stop stopped (its record on the
// status nodes, status.StoppedKey, as roma stop writes it) sent a
// node_down alert down_for later, as if it had crashed, to an operator
// who had just taken its host down for maintenance. The alpha now
// publishes the record on the node and sends no alert of it; once the
// node is back, however it came back, the alpha removes the record, and a
// later crash of the node is alerted as any. /metrics says
// roma_node_stopped 1 for it meanwhile. Real redis-servers and a real
// webhook receiver.
func TestStoppedOnPurpose(t *testing.T) {
	const pw = "stopped-on-purpose-test-password"
	p, received, get := alertedPair(t, "sp", pw)
	ctx := context.Background()

	rec := status.Stopped{Command: "roma stop --host h2", Holder: "ops@bastion pid 1", Since: time.Now().UTC()}
	if _, err := status.WriteStopped(ctx, map[string]*redis.Client{p.st.Addr: p.status}, "sp", rec, []string{"n2"}); err != nil {
		t.Fatal(err)
	}
	p.n2.Kill(t)
	got := p.waitStatus(t, "n2 published down, stopped by roma stop", func(s *status.Status) bool {
		n := s.Nodes["n2"]
		return n.State == status.NodeDown && n.Stopped != nil
	})
	if s := got.Nodes["n2"].Stopped; s.Command != rec.Command || s.Holder != rec.Holder || !s.Since.Equal(rec.Since) {
		t.Errorf("n2 published as stopped by %+v, want %+v", *s, rec)
	}
	if m := get("/metrics"); !strings.Contains(m, `roma_node_stopped{node="n2"} 1`) || !strings.Contains(m, `roma_node_stopped{node="n1"} 0`) {
		t.Errorf("/metrics while n2 is stopped by roma stop: want roma_node_stopped 1 for n2, 0 for n1:\n%s", m)
	}
	time.Sleep(3 * time.Second) // 3 down_for
	if got := received(); len(got) > 0 {
		t.Fatalf("alerts of a node roma stop stopped: %+v", got)
	}

	p.n2.Relaunch(t)
	p.waitStatus(t, "n2 up again", func(s *status.Status) bool { return s.Nodes["n2"].State != status.NodeDown })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		left, err := p.status.HGetAll(ctx, status.StoppedKey("sp")).Result()
		if err == nil && len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("roma stop's record of n2 is still there 10s after n2 came back: %v, %v", left, err)
		}
	}

	// n2 crashes: no record, an alert.
	p.n2.Kill(t)
	alerts := waitAlerts(received)
	if len(alerts) != 1 || alerts[0].Kind != alert.KindNodeDown || alerts[0].Node != "n2" {
		t.Fatalf("alerts within 15s of n2 crashing after it came back: %+v; want one %s for n2", alerts, alert.KindNodeDown)
	}
	if strings.Contains(alerts[0].Body, "roma stop") {
		t.Errorf("the alert of n2's crash speaks of roma stop: %s", alerts[0].Body)
	}
}

// TestHaltOnPurpose: roma stop --host of a host that holds every node of
// a partition takes it out of service, which its operator confirms. The
// alpha sent a halt alert (and node_down ones) as for a crash; it now
// sends none when every partition without a master has all its nodes
// stopped by roma stop. The same HALT by a crash, once they are back, is
// alerted. Real redis-servers and a real webhook receiver.
func TestHaltOnPurpose(t *testing.T) {
	const pw = "halt-on-purpose-test-password"
	p, received, _ := alertedPair(t, "hp", pw)
	ctx := context.Background()

	rec := status.Stopped{Command: "roma stop --host h", Holder: "ops@bastion pid 1", Since: time.Now().UTC()}
	if _, err := status.WriteStopped(ctx, map[string]*redis.Client{p.st.Addr: p.status}, "hp", rec, []string{"n1", "n2"}); err != nil {
		t.Fatal(err)
	}
	p.n2.Kill(t)
	p.n1.Kill(t)
	p.waitStatus(t, "HALT, n1 and n2 stopped by roma stop", func(s *status.Status) bool {
		return s.State == status.Halt && s.Nodes["n1"].Stopped != nil && s.Nodes["n2"].Stopped != nil
	})
	time.Sleep(3 * time.Second) // 3 down_for
	if got := received(); len(got) > 0 {
		t.Fatalf("alerts of a partition roma stop took out of service: %+v", got)
	}

	p.n1.Relaunch(t)
	p.n2.Relaunch(t)
	p.waitStatus(t, "OK again", func(s *status.Status) bool { return s.State == status.OK })
	p.n2.Kill(t)
	p.n1.Kill(t)
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got := received()
		if slices.ContainsFunc(got, func(a alert.Alert) bool { return a.Kind == alert.KindHalt }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("alerts within 15s of n1 and n2 crashing: %+v; want a %s", got, alert.KindHalt)
		}
	}
}
