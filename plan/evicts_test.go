package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/roma-redis/roma/cluster"
)

// TestEvicts: what plan says of a maxmemory set below what a node holds.
func TestEvicts(t *testing.T) {
	const used = 400 << 20 // 400 MiB
	master := func(maxmemory, policy string) *NodeState {
		return &NodeState{Reachable: true, Role: "master", UsedMemory: used, Config: map[string]string{"maxmemory": maxmemory, "maxmemory-policy": policy}}
	}
	set := func(kv ...string) cluster.Settings {
		s := cluster.Settings{}
		for i := 0; i+1 < len(kv); i += 2 {
			s[kv[i]] = cluster.Setting{Values: []string{kv[i+1]}}
		}
		return s
	}
	type out struct {
		Why         string
		Destructive bool
	}
	tests := []struct {
		name    string
		desired cluster.Settings
		ns      *NodeState
		want    out
	}{
		{"allkeys: keys go", set("maxmemory", "100mb", "maxmemory-policy", "allkeys-lru"), master("0", "noeviction"),
			out{"maxmemory 100mb is below the 400.0 MiB n uses now: Redis evicts keys (allkeys-lru) as soon as it is set, until its data fits: about 75% of it goes", true}},
		{"the live policy when roma.hcl gives none", set("maxmemory", "100mb"), master("0", "allkeys-lfu"),
			out{"maxmemory 100mb is below the 400.0 MiB n uses now: Redis evicts keys (allkeys-lfu) as soon as it is set, until its data fits: about 75% of it goes", true}},
		{"volatile: keys with an expiry go", set("maxmemory", "100mb", "maxmemory-policy", "volatile-ttl"), master("0", "noeviction"),
			out{"maxmemory 100mb is below the 400.0 MiB n uses now: Redis evicts keys with an expiry (volatile-ttl) as soon as it is set, until its data fits, and refuses writes (OOM) if those are not enough", true}},
		{"noeviction: writes fail", set("maxmemory", "100mb"), master("0", "noeviction"),
			out{"maxmemory 100mb is below the 400.0 MiB n uses now: under maxmemory-policy noeviction Redis evicts nothing, and refuses every write (OOM) until its data is below it", false}},
		{"lowered from a higher limit", set("maxmemory", "100mb", "maxmemory-policy", "allkeys-lru"), master("524288000", "allkeys-lru"),
			out{"maxmemory 100mb is below the 400.0 MiB n uses now: Redis evicts keys (allkeys-lru) as soon as it is set, until its data fits: about 75% of it goes", true}},
		{"above what it holds", set("maxmemory", "1gb", "maxmemory-policy", "allkeys-lru"), master("0", "noeviction"), out{}},
		{"raised, still below: no worse than now", set("maxmemory", "200mb", "maxmemory-policy", "allkeys-lru"), master("104857600", "allkeys-lru"), out{}},
		{"unchanged", set("maxmemory", "100mb", "maxmemory-policy", "allkeys-lru"), master("104857600", "allkeys-lru"), out{}},
		{"no limit", set("maxmemory", "0"), master("104857600", "allkeys-lru"), out{}},
		{"not declared", set("maxmemory-policy", "allkeys-lru"), master("0", "noeviction"), out{}},
		{"a replica ignores maxmemory", set("maxmemory", "100mb"),
			&NodeState{Reachable: true, Role: "slave", UsedMemory: used, Config: map[string]string{"maxmemory": "0"}}, out{}},
		{"not running", set("maxmemory", "100mb"), &NodeState{}, out{}},
		{"not observed", set("maxmemory", "100mb"), nil, out{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			why, destructive := evicts("n", tt.desired, tt.ns)
			if diff := cmp.Diff(tt.want, out{why, destructive}); diff != "" {
				t.Errorf("evicts (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTooFewDatabases: which databases settings plan refuses because a
// node would refuse its own data file.
func TestTooFewDatabases(t *testing.T) {
	ns := &NodeState{Databases: map[int]int64{0: 10, 5: 3, 9: 1}}
	tests := []struct {
		name    string
		desired cluster.Settings
		ns      *NodeState
		want    string
	}{
		{"two databases left out", cluster.Settings{"databases": {Values: []string{"4"}}}, ns,
			"n holds keys in database 5 (3 keys), database 9 (1 key), and with databases = 4 Redis would refuse its data file at its next start and exit: raise databases, or empty those databases first (FLUSHDB in each)"},
		{"one left out", cluster.Settings{"databases": {Values: []string{"8"}}}, ns,
			"n holds keys in database 9 (1 key), and with databases = 8 Redis would refuse its data file at its next start and exit: raise databases, or empty those databases first (FLUSHDB in each)"},
		{"all kept", cluster.Settings{"databases": {Values: []string{"10"}}}, ns, ""},
		{"Redis's default, 16", cluster.Settings{}, &NodeState{Databases: map[int]int64{15: 1}}, ""},
		{"beyond the default", cluster.Settings{}, &NodeState{Databases: map[int]int64{20: 2}},
			"n holds keys in database 20 (2 keys), and with databases = 16 Redis would refuse its data file at its next start and exit: raise databases, or empty those databases first (FLUSHDB in each)"},
		{"no keys", cluster.Settings{"databases": {Values: []string{"1"}}}, &NodeState{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tooFewDatabases("n", tt.desired, tt.ns)); diff != "" {
				t.Errorf("tooFewDatabases (-want +got):\n%s", diff)
			}
		})
	}
}
