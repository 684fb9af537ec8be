package plan

import (
	"fmt"
	"strings"
	"time"
)

// State is everything observed of a cluster's hosts and nodes.
type State struct {
	Hosts map[string]*HostState // by host name
	Nodes map[string]*NodeState // data and status nodes, by node name
	// Leaving holds, by node name, the nodes found in a conf file on a
	// host where roma.hcl no longer declares them (removed from roma.hcl,
	// or moved to another host), observed at the address that file gives.
	Leaving map[string]*NodeState `json:",omitempty"`
	Took    time.Duration
}

// HostState is what was seen on one host over its transport.
type HostState struct {
	Name      string
	Reachable bool
	Err       string // why the host could not be observed
	OS        string
	Arch      string
	Redis     string // redis-server version; empty when not installed
	Dirs      map[string]bool
	// Data holds the data nodes whose data directory holds files, by
	// name: data from before, when the node has no conf file.
	Data     map[string]bool       `json:",omitempty"`
	Files    map[string]*FileState // roma's conf files, by node name
	Services map[string]*ServiceState
	// Sums are the SHA-256 of romad's files (binary, config, secrets)
	// that exist on the host, by path.
	Sums map[string]string
	// LastWords holds, by node name, what the log of each node there
	// that has a conf file and does not run says of its end, when it did
	// not end with a shutdown: what it last warned of (it crashed: a disk
	// that filled up, a file it could not write), or that it ends with no
	// word (killed). Only what roma observed, not a fingerprint.
	LastWords map[string]string `json:",omitempty"`
	// Stopped holds, by node name ("romad" for romad), roma stop's record
	// (JSON of status.Stopped) of each node there it stopped on purpose
	// and that has not run since (its log is no newer than the record).
	Stopped map[string]string `json:",omitempty"`
}

// FileState is one file under root/conf.
type FileState struct {
	Path    string
	SHA256  string
	Mode    uint32
	Content []byte // kept only in memory, for diffs: it holds secrets
}

// ServiceState is a node's service as the service manager sees it.
type ServiceState struct {
	Running bool
	Pid     int
	Detail  string
	// Title is the process title of the pid in the pidfile, when alive
	// (the process manager): redis-server shows its address in it.
	Title string `json:",omitempty"`
	// Replaced is set on a running redis-server whose binary is no longer
	// the host's installed redis-server (a package upgrade replaced it
	// since it started): a restart runs the installed one.
	Replaced bool `json:",omitempty"`
}

// NodeState is what one Redis node said over the Redis protocol.
type NodeState struct {
	Name      string
	Addr      string
	Reachable bool
	Err       string
	AuthError bool // the server refused the cluster password
	// Listened: not Reachable, yet something took the connection at
	// Addr, and was silent, closed it, or answered what roma could not
	// use (Err says which): a port taken, not free.
	Listened bool `json:",omitempty"`
	// Declared is, for a node observed at its conf file's address since
	// it did not answer at roma.hcl's (its port or its host's address
	// changes), what roma.hcl's address gave.
	Declared *NodeState `json:",omitempty"`

	Version    string
	RunID      string
	ConfigFile string `json:",omitempty"` // the conf file the server was started from (INFO), "" when none
	Uptime     int64
	Role       string // "master" or "slave" (replica)
	MasterAddr string // for replicas: host:port they follow
	LinkUp     bool   // for replicas: master_link_status:up
	Offset     int64  // master_repl_offset or slave_repl_offset
	Replicas   []string
	Keys       int64             // in the node's database
	UsedMemory int64             `json:",omitempty"` // INFO used_memory
	Databases  map[int]int64     `json:",omitempty"` // keys in each database that has some
	Loading    bool              // loading its dataset, at start or from its master
	LoadedPerc float64           `json:",omitempty"` // how much of it, while Loading
	Config     map[string]string // CONFIG GET of the compared settings

	StatusRecord map[string]string // status nodes: roma:<cluster>:status

	// Passwords is what the default user accepts (ACL GETUSER default),
	// against roma.hcl's passwords; nil when unknown.
	Passwords *Passwords `json:",omitempty"`
}

// Passwords says which passwords a node's default user accepts, in terms
// of roma.hcl's, never the passwords or their hashes.
type Passwords struct {
	Current  bool // roma.hcl's password
	Previous bool // roma.hcl's previous_password, during a rotation
	Others   int  // passwords roma.hcl does not give
	None     bool // no password is needed at all (nopass)
}

// String describes p for a plan: "roma.hcl's password and the previous
// password", "no password", ...
func (p Passwords) String() string {
	if p.None {
		return "no password"
	}
	var parts []string
	if p.Current {
		parts = append(parts, "roma.hcl's password")
	}
	if p.Previous {
		parts = append(parts, "the previous password")
	}
	switch {
	case p.Others == 1:
		parts = append(parts, "1 other password")
	case p.Others > 1:
		parts = append(parts, fmt.Sprintf("%d other passwords", p.Others))
	}
	switch len(parts) {
	case 0:
		return "no password roma.hcl gives"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}
