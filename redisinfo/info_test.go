package redisinfo

import (
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
