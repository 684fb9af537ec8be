package redisinfo

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const master = `# Server
redis_version:7.0.15
run_id:abc

# Replication
role:master
connected_slaves:2
slave0:ip=127.0.0.12,port=7000,state=online,offset=140,lag=0
slave1:ip=127.0.0.13,port=7001,state=online,offset=130,lag=1
master_repl_offset:140

# Keyspace
db0:keys=3,expires=1,avg_ttl=100
db2:keys=40,expires=0,avg_ttl=0
`

const replica = "# Replication\r\nrole:slave\r\nmaster_host:127.0.0.11\r\nmaster_port:7000\r\nmaster_link_status:up\r\nslave_repl_offset:120\r\nmaster_repl_offset:140\r\n"

func TestInfo(t *testing.T) {
	m := Parse(master)
	if m.Replica() || m.MasterAddr() != "" || m.Offset() != 140 || m.Int("connected_slaves") != 2 || m["redis_version"] != "7.0.15" {
		t.Errorf("master: %v", m)
	}
	if diff := cmp.Diff([]string{"127.0.0.12:7000", "127.0.0.13:7001"}, m.Replicas()); diff != "" {
		t.Errorf("Replicas (-want +got):\n%s", diff)
	}
	if m.Keys(0) != 3 || m.Keys(2) != 40 || m.Keys(1) != 0 || m.TotalKeys() != 43 {
		t.Errorf("keys: db0 %d db2 %d db1 %d total %d", m.Keys(0), m.Keys(2), m.Keys(1), m.TotalKeys())
	}
	if diff := cmp.Diff(map[int]int64{0: 3, 2: 40}, m.Databases()); diff != "" {
		t.Errorf("Databases (-want +got):\n%s", diff)
	}
	r := Parse(replica)
	if !r.Replica() || r.MasterAddr() != "127.0.0.11:7000" || !r.LinkUp() || r.Offset() != 120 || r.Replicas() != nil {
		t.Errorf("replica: %v", r)
	}
}

func TestContinues(t *testing.T) {
	const r1, r2, r3 = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222", "3333333333333333333333333333333333333333"
	const none = "0000000000000000000000000000000000000000"
	repl := func(id string, off int64) Info {
		return Info{"role": "slave", "master_replid": id, "master_repl_offset": fmt.Sprint(off)}
	}
	mast := func(id, id2 string, off, second int64) Info {
		return Info{"role": "master", "master_replid": id, "master_replid2": id2,
			"master_repl_offset": fmt.Sprint(off), "second_repl_offset": fmt.Sprint(second)}
	}
	for name, tc := range map[string]struct {
		master, replica Info
		want            bool
	}{
		"in step":                         {mast(r1, none, 500, -1), repl(r1, 500), true},
		"behind (a link down meanwhile)":  {mast(r1, none, 900, -1), repl(r1, 500), true},
		"restarted after SHUTDOWN's save": {mast(r2, r1, 500, 501), repl(r1, 500), true},
		"replica behind a restarted one":  {mast(r2, r1, 700, 501), repl(r1, 400), true},
		"restarted from an older dataset": {mast(r2, r1, 300, 301), repl(r1, 500), false},
		"restarted empty":                 {mast(r2, none, 0, -1), repl(r1, 500), false},
		"restarted empty, then written":   {mast(r2, none, 900, -1), repl(r1, 500), false},
		"ahead of its master":             {mast(r1, none, 400, -1), repl(r1, 500), false},
		// The master saved under r1, was promoted (r3) with no write
		// since, and the replica synced from it: the same data.
		"parted at a promotion, no write since": {mast(r2, r1, 500, 501), repl(r3, 500), true},
		"parted at a promotion, replica ahead":  {mast(r2, r1, 500, 501), repl(r3, 800), false},
		"no replication id":                     {mast(r1, none, 400, -1), Info{"role": "slave"}, false},
	} {
		if got := Continues(tc.master, tc.replica); got != tc.want {
			t.Errorf("%s: Continues = %v, want %v", name, got, tc.want)
		}
	}
}

func TestMemory(t *testing.T) {
	got := Parse("# Memory\r\nused_memory:900\r\nmaxmemory:1000\r\nmaxmemory_policy:volatile-lru\r\n# Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=100\r\ndb5:keys=9,expires=4,avg_ttl=0\r\n").Memory()
	if diff := cmp.Diff(Memory{Used: 900, Max: 1000, Policy: "volatile-lru", Expires: 5}, got); diff != "" {
		t.Errorf("Memory (-want +got):\n%s", diff)
	}
	for _, c := range []struct {
		name       string
		m          Memory
		near, full bool
	}{
		{"no limit", Memory{Used: 1 << 30, Policy: "noeviction"}, false, false},
		{"noeviction below share", Memory{Used: 899, Max: 1000, Policy: "noeviction"}, false, false},
		{"noeviction at share", Memory{Used: 900, Max: 1000, Policy: "noeviction"}, true, false},
		{"noeviction full", Memory{Used: 1000, Max: 1000, Policy: "noeviction"}, true, true},
		{"allkeys evicts", Memory{Used: 1000, Max: 1000, Policy: "allkeys-lru"}, false, false},
		{"volatile with expiring keys evicts", Memory{Used: 1000, Max: 1000, Policy: "volatile-ttl", Expires: 1}, false, false},
		{"volatile with none evicts nothing", Memory{Used: 1200, Max: 1000, Policy: "volatile-lfu"}, true, true},
	} {
		near, full := c.m.NearFull(0.9)
		if near != c.near || full != c.full {
			t.Errorf("%s: NearFull = %v, %v; want %v, %v", c.name, near, full, c.near, c.full)
		}
	}
}
