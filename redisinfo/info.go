package redisinfo

import (
	"net"
	"strconv"
	"strings"
)

// Info is a parsed INFO reply: each field's value, whatever its section.
type Info map[string]string

// Parse reads an INFO reply (any sections). Comment lines and blank lines
// are skipped.
func Parse(reply string) Info {
	info := Info{}
	for _, line := range strings.Split(reply, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			info[k] = v
		}
	}
	return info
}

// Int returns a numeric field, 0 when absent or not a number.
func (i Info) Int(field string) int64 {
	n, _ := strconv.ParseInt(i[field], 10, 64)
	return n
}

// Replica reports whether the server is a replica (role:slave).
func (i Info) Replica() bool { return i["role"] == "slave" }

// MasterAddr is the host:port a replica follows, "" for a master.
func (i Info) MasterAddr() string {
	if !i.Replica() {
		return ""
	}
	return net.JoinHostPort(i["master_host"], i["master_port"])
}

// LinkUp reports whether a replica's link to its master is up.
func (i Info) LinkUp() bool { return i["master_link_status"] == "up" }

// Offset is the replication offset: how far a replica has read its
// master's stream, or how far a master has written its own.
func (i Info) Offset() int64 {
	if i.Replica() {
		return i.Int("slave_repl_offset")
	}
	return i.Int("master_repl_offset")
}

// Replicas lists the ip:port of a master's connected replicas, in the
// order INFO gives them (slave0, slave1, ...).
func (i Info) Replicas() []string {
	var out []string
	for n := 0; ; n++ {
		v, ok := i["slave"+strconv.Itoa(n)]
		if !ok {
			return out
		}
		f := fields(v)
		out = append(out, net.JoinHostPort(f["ip"], f["port"]))
	}
}

// Keys is the number of keys in database db (the keys= of its db<N>
// keyspace line), 0 when it has none.
func (i Info) Keys(db int) int64 {
	n, _ := strconv.ParseInt(fields(i["db"+strconv.Itoa(db)])["keys"], 10, 64)
	return n
}

// Databases returns the key count of every database that has keys.
func (i Info) Databases() map[int]int64 {
	out := map[int]int64{}
	i.keyspace(func(db int, line map[string]string) {
		out[db], _ = strconv.ParseInt(line["keys"], 10, 64)
	})
	return out
}

// keyspace calls f with each database of the keyspace section and the
// fields of its line (keys=, expires=).
func (i Info) keyspace(f func(db int, line map[string]string)) {
	for k, v := range i {
		if s, ok := strings.CutPrefix(k, "db"); ok {
			if db, err := strconv.Atoi(s); err == nil {
				f(db, fields(v))
			}
		}
	}
}

// TotalKeys is the number of keys in all databases.
func (i Info) TotalKeys() int64 {
	var n int64
	for _, k := range i.Databases() {
		n += k
	}
	return n
}

// fields reads "a=1,b=2" into a map.
func fields(v string) map[string]string {
	out := map[string]string{}
	for _, f := range strings.Split(v, ",") {
		if k, val, ok := strings.Cut(f, "="); ok {
			out[k] = val
		}
	}
	return out
}

// Continues reports whether master's data holds everything replica's
// does, as far as their replication histories tell: the replica's history
// (INFO's master_replid on the replica) is the master's own, or the one it
// had before (master_replid2), and the master is at least as far in it.
// Histories that parted at a promotion (the master restarted from a save
// made before it was promoted, or the replica synced after) share their
// offsets, which count one stream across promotions: the master must be
// at least as far. A master with no history but a new one (it restarted
// empty, or from a file that holds none) holds none of the replica's
// writes. When Continues is false, the replica's next sync from master
// is a full one, which drops what only the replica holds. Each Info
// needs the replication section.
func Continues(master, replica Info) bool {
	id, off := replica["master_replid"], replica.Int("master_repl_offset")
	switch {
	case id == "":
		return false
	case id == master["master_replid"]:
		return off <= master.Int("master_repl_offset")
	case id == master["master_replid2"]:
		return off < master.Int("second_repl_offset")
	case strings.Trim(master["master_replid2"], "0") == "":
		return false
	}
	return off <= master.Int("master_repl_offset")
}

// Expires is the number of keys with an expiry (the expires= of each
// db<N> keyspace line), in all databases.
func (i Info) Expires() int64 {
	var n int64
	i.keyspace(func(_ int, line map[string]string) {
		e, _ := strconv.ParseInt(line["expires"], 10, 64)
		n += e
	})
	return n
}

// Memory is what INFO says of a server's memory and its limit.
type Memory struct {
	Used    int64  // used_memory
	Max     int64  // maxmemory; 0: no limit
	Policy  string // maxmemory_policy
	Expires int64  // keys with an expiry, in all databases
}

// Memory reads the memory figures of an INFO reply that has the memory
// and keyspace sections.
func (i Info) Memory() Memory {
	return Memory{Used: i.Int("used_memory"), Max: i.Int("maxmemory"), Policy: i["maxmemory_policy"], Expires: i.Expires()}
}

// Evicts reports whether the server, once at its maxmemory, makes room by
// evicting keys: under an allkeys-* policy, or a volatile-* one while
// some key has an expiry (a volatile-* policy evicts only those). When it
// does not, Redis refuses every write that needs memory (OOM).
func (m Memory) Evicts() bool {
	switch {
	case strings.HasPrefix(m.Policy, "allkeys-"):
		return true
	case strings.HasPrefix(m.Policy, "volatile-"):
		return m.Expires > 0
	}
	return false
}

// NearFull reports whether the server has a maxmemory, evicts nothing to
// stay under it (see Evicts), and uses at least share of it; full
// reports whether it uses all of it, so that it refuses writes now.
func (m Memory) NearFull(share float64) (near, full bool) {
	if m.Max <= 0 || m.Evicts() || float64(m.Used) < share*float64(m.Max) {
		return false, false
	}
	return true, m.Used >= m.Max
}
