package report

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisinfo"
	"github.com/roma-redis/roma/status"
)

var now = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// testSpec is two partitions of two nodes on hosts db1 and db2, and three
// status nodes.
func testSpec() *cluster.Spec {
	return &cluster.Spec{
		Name: "shop", Partitions: 2,
		Hosts: []cluster.Host{{Name: "db1", Address: "10.0.0.1"}, {Name: "db2", Address: "10.0.0.2"}},
		Nodes: []cluster.Node{
			{Name: "db1-7000", Host: "db1", Port: 7000, Partition: 0},
			{Name: "db2-7000", Host: "db2", Port: 7000, Partition: 0},
			{Name: "db2-7001", Host: "db2", Port: 7001, Partition: 1, Database: 1},
			{Name: "db1-7001", Host: "db1", Port: 7001, Partition: 1, Database: 1},
		},
		Status: []cluster.StatusNode{{Name: "st1", Host: "db1", Port: 7100}, {Name: "st2", Host: "db2", Port: 7100}, {Name: "st3", Host: "db1", Port: 7101}},
	}
}

func published(state string, epoch int64) *status.Status {
	return &status.Status{
		Version: 1, Cluster: "shop", State: state, Epoch: epoch, Alpha: "db1", Updated: now.Add(-time.Minute),
		Partitions: []status.Partition{{Master: "db1-7000", Replicas: []string{"db2-7000"}}, {Master: "db2-7001", Replicas: []string{"db1-7001"}}},
		Nodes: map[string]status.NodeState{ // romad names every node it watches
			"db1-7000": {State: status.NodeUp, Role: "master", Since: now.Add(-time.Hour)},
			"db2-7000": {Addr: "10.0.0.2:7000", Partition: 0, Role: "replica"},
			"db2-7001": {Addr: "10.0.0.2:7001", Partition: 1, Role: "master", Database: 1},
			"db1-7001": {Addr: "10.0.0.1:7001", Partition: 1, Role: "replica", Database: 1},
		},
	}
}

// reading is what three status nodes holding these epochs (0: no answer)
// return.
func reading(s *status.Status, epochs ...int64) status.Reading {
	r := status.Reading{Total: 3, Errors: map[string]string{}, PerNode: map[string]int64{}}
	addrs := []string{"10.0.0.1:7100", "10.0.0.2:7100", "10.0.0.1:7101"}
	var best int64
	for i, e := range epochs {
		if e == 0 {
			r.Errors[addrs[i]] = "connection refused"
			continue
		}
		r.Answered++
		r.PerNode[addrs[i]] = e
		best = max(best, e)
	}
	if s != nil && r.Answered > 0 {
		c := *s
		c.Epoch = best
		r.Status = &c
	}
	return r
}

func master(offset int64) Probe {
	return Probe{Role: "master", Offset: offset, Uptime: 2 * time.Hour, Keys: map[int]int64{0: 10, 1: 20}, Mem: redisinfo.Memory{Used: 1 << 20, Max: 64 << 20}}
}

func replica(of string, offset int64) Probe {
	return Probe{Role: "replica", MasterAddr: of, Link: "up", Offset: offset, Uptime: time.Hour, Keys: map[int]int64{0: 9, 1: 20}, Mem: redisinfo.Memory{Used: 1 << 20}}
}

func healthy() map[string]Probe {
	return map[string]Probe{
		"db1-7000": master(1000), "db2-7000": replica("10.0.0.1:7000", 900),
		"db2-7001": master(50), "db1-7001": replica("10.0.0.2:7001", 50),
	}
}

func with(p map[string]Probe, name string, pr Probe) map[string]Probe {
	p[name] = pr
	return p
}

var down = Probe{Err: "dial tcp: connection refused"}

func TestBuildHealthy(t *testing.T) {
	r := Build(Inputs{Spec: testSpec(), Reading: reading(published(status.OK, 7), 7, 7, 7), Probes: healthy(), Now: now})
	lag100, lag0 := int64(100), int64(0)
	want := &Report{
		Cluster: "shop", State: status.OK, Source: SourceStatus, Checked: now,
		Published: &Published{State: status.OK, Epoch: 7, Alpha: "db1", Updated: now.Add(-time.Minute)},
		StatusNodes: []StatusNode{
			{Name: "st1", Addr: "10.0.0.1:7100", Up: true, Epoch: 7},
			{Name: "st2", Addr: "10.0.0.2:7100", Up: true, Epoch: 7},
			{Name: "st3", Addr: "10.0.0.1:7101", Up: true, Epoch: 7},
		},
		Agreement: Agreement{Total: 3, Answered: 3, Agreeing: 3, Majority: true},
		Partitions: []Partition{
			{Index: 0, Master: "db1-7000", Serving: true, Replicas: []string{"db2-7000"}},
			{Index: 1, Master: "db2-7001", Serving: true, Replicas: []string{"db1-7001"}},
		},
		Nodes: []Node{
			{Name: "db1-7000", Host: "db1", Addr: "10.0.0.1:7000", Partition: 0, Role: "master", State: "up",
				Since: now.Add(-time.Hour), Memory: 1 << 20, MaxMemory: 64 << 20, Keys: 10},
			{Name: "db2-7000", Host: "db2", Addr: "10.0.0.2:7000", Partition: 0, Role: "replica", State: "up",
				Since: now.Add(-time.Hour), Master: "db1-7000", Link: "up", Lag: &lag100, Memory: 1 << 20, Keys: 9},
			{Name: "db2-7001", Host: "db2", Addr: "10.0.0.2:7001", Partition: 1, Role: "master", State: "up",
				Since: now.Add(-2 * time.Hour), Memory: 1 << 20, MaxMemory: 64 << 20, Keys: 20},
			{Name: "db1-7001", Host: "db1", Addr: "10.0.0.1:7001", Partition: 1, Role: "replica", State: "up",
				Since: now.Add(-time.Hour), Master: "db2-7001", Link: "up", Lag: &lag0, Memory: 1 << 20, Keys: 20},
		},
	}
	if d := cmp.Diff(want, r); d != "" {
		t.Errorf("report (-want +got):\n%s", d)
	}
}

func TestBuildStates(t *testing.T) {
	type want struct {
		State, Source string
		Problems      []string
		Masters       []string
	}
	pub := published
	for name, c := range map[string]struct {
		reading status.Reading
		probes  map[string]Probe
		want    want
	}{
		"replica down": {
			reading(pub(status.OK, 7), 7, 7, 7), with(healthy(), "db2-7000", down),
			want{status.Degraded, SourceProbe, []string{"node db2-7000 of partition 0 is down: dial tcp: connection refused"}, []string{"db1-7000", "db2-7001"}},
		},
		"a replica and a status node stopped by roma stop": {
			reading(func() *status.Status {
				s := pub(status.Degraded, 7)
				rec := &status.Stopped{Command: "roma stop --host db2", Holder: "ops@bastion pid 7", Since: now.Add(-time.Hour)}
				s.Nodes["db2-7000"] = status.NodeState{Addr: "10.0.0.2:7000", Partition: 0, State: status.NodeDown, Since: now.Add(-time.Hour), Stopped: rec}
				s.Nodes["st2"] = status.NodeState{Addr: "10.0.0.2:7100", Partition: -1, State: status.NodeDown, Since: now.Add(-time.Hour), Stopped: rec}
				return s
			}(), 7, 0, 7), with(healthy(), "db2-7000", down),
			want{status.Degraded, SourceStatus, []string{
				"status node st2 (10.0.0.2:7100) was stopped by roma stop --host db2 at 2026-03-04 04:06:07Z (ops@bastion pid 7): roma start brings it back",
				"node db2-7000 of partition 0 was stopped by roma stop --host db2 at 2026-03-04 04:06:07Z (ops@bastion pid 7): roma start brings it back",
			}, []string{"db1-7000", "db2-7001"}},
		},
		"published degraded, probe agrees": {
			reading(pub(status.Degraded, 7), 7, 7, 7), with(healthy(), "db2-7000", down),
			want{status.Degraded, SourceStatus, []string{"node db2-7000 of partition 0 is down: dial tcp: connection refused"}, []string{"db1-7000", "db2-7001"}},
		},
		"published degraded, probe finds nothing": {
			reading(pub(status.Degraded, 7), 7, 7, 7), healthy(),
			want{status.Degraded, SourceStatus, []string{"the published state is DEGRADED, but the probe finds nothing wrong: romad may not have published a recovery yet"}, []string{"db1-7000", "db2-7001"}},
		},
		"published master down": {
			reading(pub(status.OK, 7), 7, 7, 7), with(healthy(), "db1-7000", down),
			want{status.Halt, SourceProbe, []string{"partition 0 has no master up: its published master db1-7000 is down (dial tcp: connection refused)"}, []string{"db1-7000", "db2-7001"}},
		},
		"partition down, no status": {
			reading(nil, 0, 0, 0), with(with(healthy(), "db2-7001", down), "db1-7001", down),
			want{status.Halt, SourceProbe, []string{
				"only 0 of 3 status nodes answered: clients cannot read the status and treat the cluster as HALT",
				"partition 1 has no master: no node of it is up as a master",
				"status node st1 (10.0.0.1:7100) did not answer with a status: connection refused",
				"status node st2 (10.0.0.2:7100) did not answer with a status: connection refused",
				"status node st3 (10.0.0.1:7101) did not answer with a status: connection refused",
				"node db2-7001 of partition 1 is down: dial tcp: connection refused",
				"node db1-7001 of partition 1 is down: dial tcp: connection refused",
			}, []string{"db1-7000", ""}},
		},
		"published halt": {
			reading(&status.Status{Cluster: "shop", State: status.Halt, Partitions: []status.Partition{{Master: "db1-7000"}, {}}}, 7, 7, 7),
			with(with(healthy(), "db2-7001", down), "db1-7001", Probe{Role: "replica", MasterAddr: "10.0.0.2:7001", Link: "down"}),
			want{status.Halt, SourceStatus, []string{"partition 1 has no master in the published status", "node db2-7001 of partition 1 is down: dial tcp: connection refused"}, []string{"db1-7000", ""}},
		},
		"published halt, the master lost": {
			reading(&status.Status{Cluster: "shop", State: status.Halt, Partitions: []status.Partition{{Master: "db1-7000"}, {Lost: "db2-7001"}}}, 7, 7, 7),
			with(with(healthy(), "db2-7001", down), "db1-7001", master(10)),
			want{status.Halt, SourceStatus, []string{"partition 1 has no master: it waits for db2-7001, the master it lost with no replica fit to take over, which alone holds the newest data. " +
				"roma start or roma apply brings it back; if it cannot come back, remove it from roma.hcl and apply: the node holding the most data then leads, without the writes only db2-7001 had",
				"node db2-7001 of partition 1 is down: dial tcp: connection refused"}, []string{"db1-7000", ""}},
		},
		"failed over, not yet published": {
			reading(pub(status.OK, 7), 7, 7, 7),
			with(with(healthy(), "db1-7000", down), "db2-7000", master(1000)),
			want{status.Halt, SourceProbe, []string{"partition 0 has no master up: its published master db1-7000 is down (dial tcp: connection refused)"}, []string{"db1-7000", "db2-7001"}},
		},
		"published master is a replica": {
			reading(pub(status.OK, 7), 7, 7, 7),
			with(with(healthy(), "db1-7000", replica("10.0.0.2:7000", 1000)), "db2-7000", master(1000)),
			want{status.Halt, SourceProbe, []string{"partition 0 has no master up: its published master db1-7000 is a replica; db2-7000 is master"}, []string{"db1-7000", "db2-7001"}},
		},
		"status nodes disagree, no majority": {
			reading(pub(status.OK, 9), 9, 8, 7), healthy(),
			want{status.Degraded, SourceProbe, []string{
				"the status nodes disagree (st1 at epoch 9, st2 at epoch 8, st3 at epoch 7) and no majority holds the latest epoch: the state comes from the probe",
				"the latest published status (epoch 9) is not held by a majority of status nodes",
			}, []string{"db1-7000", "db2-7001"}},
		},
		"one status node behind": {
			reading(pub(status.OK, 9), 9, 9, 8), healthy(),
			want{status.OK, SourceStatus, []string{"the status nodes disagree (st1 at epoch 9, st2 at epoch 9, st3 at epoch 8); a majority holds epoch 9"}, []string{"db1-7000", "db2-7001"}},
		},
		"one status node down": {
			reading(pub(status.OK, 9), 9, 0, 9), healthy(),
			want{status.Degraded, SourceProbe, []string{"status node st2 (10.0.0.2:7100) did not answer with a status: connection refused"}, []string{"db1-7000", "db2-7001"}},
		},
		"two masters": {
			reading(pub(status.OK, 7), 7, 7, 7), with(healthy(), "db2-7000", master(5)),
			want{status.Degraded, SourceProbe, []string{"partition 0 has 2 masters: db1-7000, db2-7000"}, []string{"db1-7000", "db2-7001"}},
		},
		"probe picks the master the replicas follow": {
			reading(nil, 0, 0, 0), with(healthy(), "db1-7001", master(5)),
			want{status.Halt, SourceProbe, []string{
				"only 0 of 3 status nodes answered: clients cannot read the status and treat the cluster as HALT",
				"status node st1 (10.0.0.1:7100) did not answer with a status: connection refused",
				"status node st2 (10.0.0.2:7100) did not answer with a status: connection refused",
				"status node st3 (10.0.0.1:7101) did not answer with a status: connection refused",
				"partition 1 has 2 masters: db2-7001, db1-7001",
			}, []string{"db1-7000", "db2-7001"}},
		},
		"link down and wrong master": {
			reading(pub(status.OK, 7), 7, 7, 7),
			with(with(healthy(), "db2-7000", Probe{Role: "replica", MasterAddr: "10.0.0.1:7000", Link: "down"}), "db1-7001", replica("10.0.0.1:7000", 0)),
			want{status.Degraded, SourceProbe, []string{
				"node db2-7000: its replication link to db1-7000 is down",
				"node db1-7001 replicates from db1-7000, not from partition 1's master db2-7001",
			}, []string{"db1-7000", "db2-7001"}},
		},
		"master loading": {
			reading(pub(status.OK, 7), 7, 7, 7), with(healthy(), "db1-7000", Probe{Role: "master", Loading: true}),
			want{status.Halt, SourceProbe, []string{"partition 0 has no master up: its published master db1-7000 is still loading its data"}, []string{"db1-7000", "db2-7001"}},
		},
		"master nearly full, noeviction": {
			reading(pub(status.OK, 7), 7, 7, 7),
			with(healthy(), "db1-7000", Probe{Role: "master", Offset: 1000, Mem: redisinfo.Memory{Used: 60 << 20, Max: 64 << 20, Policy: "noeviction"}}),
			want{status.Degraded, SourceProbe, []string{"master db1-7000 uses 93% of its maxmemory (60.0 MiB of 64.0 MiB): under maxmemory-policy noeviction it refuses every write (OOM) once full; raise maxmemory in roma.hcl and apply, or delete keys"}, []string{"db1-7000", "db2-7001"}},
		},
		"master a few bytes short of full, noeviction": {
			reading(pub(status.OK, 7), 7, 7, 7),
			with(healthy(), "db1-7000", Probe{Role: "master", Offset: 1000, Mem: redisinfo.Memory{Used: 64<<20 - 100, Max: 64 << 20, Policy: "noeviction"}}),
			want{status.Degraded, SourceProbe, []string{"master db1-7000 uses 99% of its maxmemory (64.0 MiB of 64.0 MiB): under maxmemory-policy noeviction it refuses every write (OOM) once full; raise maxmemory in roma.hcl and apply, or delete keys"}, []string{"db1-7000", "db2-7001"}},
		},
		"master full, noeviction": {
			reading(pub(status.OK, 7), 7, 7, 7),
			with(healthy(), "db2-7001", Probe{Role: "master", Offset: 50, Mem: redisinfo.Memory{Used: 65 << 20, Max: 64 << 20, Policy: "noeviction"}}),
			want{status.Degraded, SourceProbe, []string{"master db2-7001 is full: it uses 65.0 MiB, its maxmemory is 64.0 MiB, and under maxmemory-policy noeviction it refuses every write (OOM): raise maxmemory in roma.hcl and apply, or delete keys"}, []string{"db1-7000", "db2-7001"}},
		},
		"master full, evicting": {
			reading(pub(status.OK, 7), 7, 7, 7),
			with(with(healthy(), "db1-7000", Probe{Role: "master", Offset: 1000, Mem: redisinfo.Memory{Used: 64 << 20, Max: 64 << 20, Policy: "allkeys-lru"}}),
				"db2-7000", Probe{Role: "replica", MasterAddr: "10.0.0.1:7000", Link: "up", Offset: 900, Mem: redisinfo.Memory{Used: 63 << 20, Max: 64 << 20, Policy: "noeviction"}}),
			want{status.OK, SourceStatus, nil, []string{"db1-7000", "db2-7001"}},
		},
		"master full, volatile-lru with no key that expires": {
			reading(pub(status.OK, 7), 7, 7, 7),
			with(healthy(), "db1-7000", Probe{Role: "master", Offset: 1000, Mem: redisinfo.Memory{Used: 64 << 20, Max: 64 << 20, Policy: "volatile-lru"}}),
			want{status.Degraded, SourceProbe, []string{"master db1-7000 is full: it uses 64.0 MiB, its maxmemory is 64.0 MiB, and under maxmemory-policy volatile-lru, with no key that has an expiry to evict, it refuses every write (OOM): raise maxmemory in roma.hcl and apply, or delete keys"}, []string{"db1-7000", "db2-7001"}},
		},
		"master full, volatile-lru with keys that expire": {
			reading(pub(status.OK, 7), 7, 7, 7),
			with(healthy(), "db1-7000", Probe{Role: "master", Offset: 1000, Mem: redisinfo.Memory{Used: 64 << 20, Max: 64 << 20, Policy: "volatile-lru", Expires: 3}}),
			want{status.OK, SourceStatus, nil, []string{"db1-7000", "db2-7001"}},
		},
		"maintenance and failed backup": {
			reading(func() *status.Status {
				s := pub(status.OK, 7)
				s.Maintenance = true
				s.Backup = &status.Backup{ID: "b1", OK: false, Error: "disk full"}
				return s
			}(), 7, 7, 7), healthy(),
			want{status.OK, SourceStatus, []string{"maintenance: romad does not fail over until it ends", "the last backup (b1) failed: disk full"}, []string{"db1-7000", "db2-7001"}},
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := Build(Inputs{Spec: testSpec(), Reading: c.reading, Probes: c.probes, Now: now})
			got := want{State: r.State, Source: r.Source, Problems: r.Problems}
			for _, p := range r.Partitions {
				got.Masters = append(got.Masters, p.Master)
			}
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestParseInfo(t *testing.T) {
	info := "# Server\r\nredis_version:7.0.15\r\nuptime_in_seconds:120\r\n\r\n# Memory\r\nused_memory:1048576\r\nmaxmemory:67108864\r\nmaxmemory_policy:noeviction\r\n" +
		"# Persistence\r\nloading:0\r\n# Replication\r\nrole:slave\r\nmaster_host:127.0.0.11\r\nmaster_port:7000\r\nmaster_link_status:up\r\n" +
		"slave_repl_offset:4242\r\nmaster_repl_offset:4242\r\n# Keyspace\r\ndb0:keys=12,expires=0,avg_ttl=0\r\ndb3:keys=5,expires=1,avg_ttl=0\r\n"
	want := Probe{Role: "replica", MasterAddr: "127.0.0.11:7000", Link: "up", Offset: 4242, Uptime: 2 * time.Minute,
		Keys: map[int]int64{0: 12, 3: 5}, Mem: redisinfo.Memory{Used: 1 << 20, Max: 64 << 20, Policy: "noeviction", Expires: 1}}
	if d := cmp.Diff(want, ParseInfo(info)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// TestBuildStaleStatus: with romad declared, a published status that no
// romad has rewritten for longer than StaleAfter (the alpha rewrites it
// every second) makes the cluster DEGRADED, saying no romad is alpha;
// one a few seconds old is fine. Without romad, the age does not matter.
func TestBuildStaleStatus(t *testing.T) {
	withRomad := testSpec()
	withRomad.Romad = &cluster.Romad{Hosts: []string{"db1", "db2"}}
	stale := "no romad has written the status for 45s (the alpha rewrites it every second): no romad is alpha, so no master is failed over; check romad on db1, db2"
	for _, tc := range []struct {
		name     string
		spec     *cluster.Spec
		age      time.Duration
		state    string
		problems []string
	}{
		{"romad, status 2s old", withRomad, 2 * time.Second, status.OK, nil},
		{"romad, status 45s old", withRomad, 45 * time.Second, status.Degraded, []string{stale}},
		{"no romad, status 45s old", testSpec(), 45 * time.Second, status.OK, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := published(status.OK, 7)
			s.Updated = now.Add(-tc.age)
			r := Build(Inputs{Spec: tc.spec, Reading: reading(s, 7, 7, 7), Probes: healthy(), Now: now})
			if r.State != tc.state {
				t.Errorf("state %s, want %s", r.State, tc.state)
			}
			if d := cmp.Diff(tc.problems, r.Problems); d != "" {
				t.Errorf("problems (-want +got):\n%s", d)
			}
		})
	}
}

// A node removed from roma.hcl but not yet by apply still serves: the
// report probes it at its published address and shows it, so that a
// master there is no HALT; one the status does not trust is not shown.
func TestBuildUndeclaredNode(t *testing.T) {
	spec := testSpec()
	spec.Nodes = slices.DeleteFunc(spec.Nodes, func(n cluster.Node) bool { return n.Name == "db2-7001" })
	s := published(status.OK, 7)
	s.Nodes["db2-7001"] = status.NodeState{Addr: "10.0.0.2:7001", Partition: 1, Database: 1, State: status.NodeUp, Role: "master", Since: now.Add(-time.Hour)}

	r := Build(Inputs{Spec: spec, Reading: reading(s, 7, 7, 7), Probes: healthy(), Now: now})
	lag0 := int64(0)
	want := []Node{
		{Name: "db2-7001", Host: "db2", Addr: "10.0.0.2:7001", Partition: 1, Role: "master", State: "up",
			Since: now.Add(-time.Hour), Memory: 1 << 20, MaxMemory: 64 << 20, Keys: 20, Undeclared: true},
		{Name: "db1-7001", Host: "db1", Addr: "10.0.0.1:7001", Partition: 1, Role: "replica", State: "up",
			Since: now.Add(-time.Hour), Master: "db2-7001", Link: "up", Lag: &lag0, Memory: 1 << 20, Keys: 20},
	}
	if d := cmp.Diff(want, r.Nodes[2:]); d != "" {
		t.Errorf("partition 1's nodes (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"the published status names node db2-7001, which roma.hcl does not declare: it serves partition 1 until roma apply removes it"}, r.Problems); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
	if r.State != status.OK || !r.Partitions[1].Serving {
		t.Errorf("state %s, partition 1 serving %v; want OK, serving", r.State, r.Partitions[1].Serving)
	}

	// Down, it is partition 1's published master down: HALT, with the row
	// that says so.
	down := Build(Inputs{Spec: spec, Reading: reading(s, 7, 7, 7), Probes: with(healthy(), "db2-7001", Probe{Err: "connection refused"}), Now: now})
	if down.State != status.Halt || down.Nodes[2].Name != "db2-7001" || down.Nodes[2].State != status.NodeDown {
		t.Errorf("down: state %s, node %+v; want HALT and db2-7001 down", down.State, down.Nodes[2])
	}

	// A removed replica, down (apply stopped it; romad, not yet told,
	// still names it): no problem.
	s.Nodes["db2-7009"] = status.NodeState{Addr: "10.0.0.2:7009", Partition: 0, State: status.NodeDown, Role: "replica"}
	gone := Build(Inputs{Spec: spec, Reading: reading(s, 7, 7, 7), Probes: with(healthy(), "db2-7009", Probe{Err: "connection refused"}), Now: now})
	if gone.State != status.OK {
		t.Errorf("a removed replica down: state %s, problems %q; want OK", gone.State, gone.Problems)
	}
	if !slices.Contains(gone.Problems, "the published status names node db2-7009, which roma.hcl does not declare, and it does not answer: removed, and romad not yet told") {
		t.Errorf("a removed replica down: problems %q", gone.Problems)
	}
	if n, ok := gone.Node("db2-7009"); !ok || !n.Undeclared || n.State != status.NodeDown {
		t.Errorf("removed replica: %+v, want shown down, not in roma.hcl", n)
	}
	delete(s.Nodes, "db2-7009")

	// Without a majority behind the status, only roma.hcl's nodes show.
	untrusted := Build(Inputs{Spec: spec, Reading: reading(s, 7, 0, 0), Probes: healthy(), Now: now})
	for _, n := range untrusted.Nodes {
		if n.Undeclared {
			t.Errorf("untrusted status: %s shown", n.Name)
		}
	}
}

// A node added to roma.hcl, not yet applied, does not answer, and the
// status romad publishes (which names every node it watches) does not
// name it: it is not down, and the cluster is not DEGRADED for it. A node
// the status names that does not answer is down.
func TestBuildUnappliedNode(t *testing.T) {
	spec := testSpec()
	spec.Hosts = append(spec.Hosts, cluster.Host{Name: "db3", Address: "10.0.0.3"})
	spec.Nodes = append(spec.Nodes, cluster.Node{Name: "db3-7001", Host: "db3", Port: 7001, Partition: 1, Database: 1})
	probes := with(healthy(), "db3-7001", Probe{Err: "dial tcp 10.0.0.3:7001: connect: connection refused"})

	r := Build(Inputs{Spec: spec, Reading: reading(published(status.OK, 7), 7, 7, 7), Probes: probes, Now: now})
	n, _ := r.Node("db3-7001")
	if r.State != status.OK || n.State != status.NodeDown || n.Error != "not created yet: dial tcp 10.0.0.3:7001: connect: connection refused" {
		t.Errorf("state %s, node %+v; want OK, db3-7001 not created yet", r.State, n)
	}
	want := []string{"node db3-7001 of partition 1 does not answer, and the published status does not name it: added to roma.hcl, not yet applied (roma apply creates it)"}
	if d := cmp.Diff(want, r.Problems); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}

	// Named by the status: down.
	named := published(status.OK, 7)
	named.Nodes["db3-7001"] = status.NodeState{Addr: "10.0.0.3:7001", Partition: 1, Role: "replica", State: status.NodeDown}
	if r := Build(Inputs{Spec: spec, Reading: reading(named, 7, 7, 7), Probes: probes, Now: now}); r.State != status.Degraded {
		t.Errorf("db3-7001 named by the status and not answering: state %s, want DEGRADED", r.State)
	}
	// No status to trust: down.
	r = Build(Inputs{Spec: spec, Reading: reading(published(status.OK, 7), 7, 0, 0), Probes: probes, Now: now})
	if !slices.Contains(r.Problems, "node db3-7001 of partition 1 is down: dial tcp 10.0.0.3:7001: connect: connection refused") {
		t.Errorf("db3-7001 not answering, no status trusted: problems %q, want it down", r.Problems)
	}
}

// TestBuildBackupOverdue: with a backup block, a last backup older than
// twice its every says scheduled backups stopped (romad on the backup
// host is gone, say), which nothing else shows.
func TestBuildBackupOverdue(t *testing.T) {
	spec := testSpec()
	spec.Backup = &cluster.Backup{Every: 6 * time.Hour, Host: "db2", Dir: "/var/backups/roma"}
	for name, c := range map[string]struct {
		backup *status.Backup
		want   []string
	}{
		"recent":      {&status.Backup{ID: "b1", Time: now.Add(-11 * time.Hour), OK: true}, nil},
		"none at all": {nil, nil},
		"overdue": {&status.Backup{ID: "b1", Time: now.Add(-13 * time.Hour), OK: true},
			[]string{"no backup since " + now.Add(-13*time.Hour).UTC().Format("2006-01-02 15:04:05Z") + " (13h0m0s ago), and roma.hcl asks for one every 6h0m0s: scheduled backups are overdue; check romad on the backup host db2"}},
	} {
		st := published(status.OK, 7)
		st.Backup = c.backup
		r := Build(Inputs{Spec: spec, Reading: reading(st, 7, 7, 7), Probes: healthy(), Now: now})
		if diff := cmp.Diff(c.want, r.Problems); diff != "" {
			t.Errorf("%s: problems (-want +got):\n%s", name, diff)
		}
	}
}
