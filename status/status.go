package status

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SchemaVersion is the version of the stored status.
const SchemaVersion = 1

// States of a cluster.
const (
	OK       = "OK"       // every node is up
	Degraded = "DEGRADED" // some node is down, but every partition has a master
	Halt     = "HALT"     // some partition has no master
)

// Node states.
const (
	NodeUp      = "up"
	NodeDown    = "down"
	NodeLoading = "loading"
	// NodeSyncing is a replica that answers but is not in sync with its
	// master (its link is down: a full sync under way, or the link
	// broken): what it serves may be old, or empty, so clients read
	// from it only once it is up again.
	NodeSyncing = "syncing"
)

// Status is the published state of one cluster.
type Status struct {
	Version    int                  `json:"version"`
	Cluster    string               `json:"cluster"`
	State      string               `json:"state"`
	Epoch      int64                `json:"epoch"`
	Alpha      string               `json:"alpha"` // the romad host that wrote it
	Updated    time.Time            `json:"updated"`
	Hash       string               `json:"hash"`
	Partitions []Partition          `json:"partitions"`
	Nodes      map[string]NodeState `json:"nodes"`
	Backup     *Backup              `json:"backup,omitempty"`
	// Maintenance is set while restore (or an operator) asks romad not
	// to fail over.
	Maintenance bool `json:"maintenance,omitempty"`
}

// Partition is one partition's master and replicas, as node names.
type Partition struct {
	Master   string   `json:"master"` // "" when the partition has none (HALT)
	Replicas []string `json:"replicas"`
	// Lost is the master the partition lost with no replica fit to take
	// over (HALT): it holds the newest data, so it alone leads again,
	// once back with its data.
	Lost string `json:"lost,omitempty"`
}

// NodeState is one node as romad sees it.
type NodeState struct {
	Addr      string    `json:"addr"`
	Database  int       `json:"database"`  // the SELECT index the partition's keys use on this node
	Partition int       `json:"partition"` // -1 for status nodes
	Role      string    `json:"role"`      // master, replica, or "" when unknown
	State     string    `json:"state"`     // up, down, loading
	Since     time.Time `json:"since"`     // when State began
	Lag       int64     `json:"lag"`       // replicas: bytes behind the master
	Memory    int64     `json:"memory"`    // used_memory
	Keys      int64     `json:"keys"`
	// Stopped, on a node down, says that roma stop stopped it on purpose
	// (status.StoppedKey): who and when.
	Stopped *Stopped `json:"stopped,omitempty"`
}

// Backup is the record of the last backup into the declared store: one
// romad scheduled, or one roma backup took there.
type Backup struct {
	ID       string    `json:"id"`
	Time     time.Time `json:"time"`
	OK       bool      `json:"ok"`
	Error    string    `json:"error,omitempty"`
	Duration float64   `json:"duration_seconds"`
}

// Key names for cluster c.
func StatusKey(c string) string  { return "roma:" + c + ":status" }
func HistoryKey(c string) string { return "roma:" + c + ":history" }
func EpochKey(c string) string   { return "roma:" + c + ":epoch" }
func AlphaKey(c string) string   { return "roma:" + c + ":alpha" }

// EpochOwnerKey names the romad the highest epoch (EpochKey) was granted
// to on this status node: it may take its lease back there after the
// lease lapsed on that node alone (the node hung, or restarted).
func EpochOwnerKey(c string) string { return "roma:" + c + ":epoch-owner" }
func SeenKey(c, romad string) string {
	return "roma:" + c + ":seen:" + romad
}

// MaintenanceKey exists on the status nodes while the cluster is in
// maintenance (roma restore sets it with a TTL and renews it): romad then
// neither fails over nor repoints anything.
func MaintenanceKey(c string) string { return "roma:" + c + ":maintenance" }

// Maintenance is what the maintenance key holds (JSON).
type Maintenance struct {
	Operation string    `json:"operation"`
	Holder    string    `json:"holder"`
	Since     time.Time `json:"since"`
	// Partitions are the partitions the operation may change; none (or
	// a value that is not this JSON, as an operator's own) means all.
	// When maintenance ends, a partition in HALT that it changed no
	// longer waits for the master it lost.
	Partitions []int `json:"partitions,omitempty"`
}

// BackupKey holds the record (JSON of Backup) of the last backup into
// the declared store, written by the romad that ran it or by roma backup
// (WriteBackup: the one begun last stands).
func BackupKey(c string) string { return "roma:" + c + ":backup" }

// Channel is where a change is PUBLISHed.
func Channel(c string) string { return "roma:" + c + ":status" }

// Master returns partition p's master, or "".
func (s *Status) Master(p int) string {
	if s == nil || p < 0 || p >= len(s.Partitions) {
		return ""
	}
	return s.Partitions[p].Master
}

// LastMaster returns the node that last held partition p's newest data:
// its master, or the master it lost (HALT); "" when neither is known.
func (s *Status) LastMaster(p int) string {
	if m := s.Master(p); m != "" || s == nil || p < 0 || p >= len(s.Partitions) {
		return m
	}
	return s.Partitions[p].Lost
}

// Fields encodes s as the fields of the status hash. Scalars get a field
// each, so that redis-cli HGETALL reads well; partitions and nodes have
// one field each holding JSON.
func (s *Status) Fields() map[string]string {
	f := map[string]string{
		"version":    strconv.Itoa(SchemaVersion),
		"cluster":    s.Cluster,
		"state":      s.State,
		"epoch":      strconv.FormatInt(s.Epoch, 10),
		"alpha":      s.Alpha,
		"updated":    s.Updated.UTC().Format(time.RFC3339Nano),
		"hash":       s.Hash,
		"partitions": strconv.Itoa(len(s.Partitions)),
	}
	if s.Maintenance {
		f["maintenance"] = "1"
	}
	for i, p := range s.Partitions {
		f["partition."+strconv.Itoa(i)+".master"] = p.Master
		f["partition."+strconv.Itoa(i)+".replicas"] = strings.Join(p.Replicas, ",")
		f["partition."+strconv.Itoa(i)+".lost"] = p.Lost
	}
	for name, n := range s.Nodes {
		b, _ := json.Marshal(n)
		f["node."+name] = string(b)
	}
	if s.Backup != nil {
		b, _ := json.Marshal(s.Backup)
		f["backup"] = string(b)
	}
	return f
}

// FromFields decodes the status hash.
func FromFields(f map[string]string) (*Status, error) {
	if len(f) == 0 {
		return nil, fmt.Errorf("no status")
	}
	v, _ := strconv.Atoi(f["version"])
	if v != SchemaVersion {
		return nil, fmt.Errorf("status schema version %q, this roma reads %d", f["version"], SchemaVersion)
	}
	s := &Status{Version: v, Cluster: f["cluster"], State: f["state"], Alpha: f["alpha"], Hash: f["hash"],
		Nodes: map[string]NodeState{}, Maintenance: f["maintenance"] == "1"}
	var err error
	if s.Epoch, err = strconv.ParseInt(f["epoch"], 10, 64); err != nil {
		return nil, fmt.Errorf("status epoch %q: %w", f["epoch"], err)
	}
	s.Updated, _ = time.Parse(time.RFC3339Nano, f["updated"])
	n, err := strconv.Atoi(f["partitions"])
	if err != nil || n < 0 || n > 1<<20 {
		return nil, fmt.Errorf("status partitions %q", f["partitions"])
	}
	s.Partitions = make([]Partition, n)
	for i := range s.Partitions {
		p := &s.Partitions[i]
		p.Master = f["partition."+strconv.Itoa(i)+".master"]
		p.Lost = f["partition."+strconv.Itoa(i)+".lost"]
		if r := f["partition."+strconv.Itoa(i)+".replicas"]; r != "" {
			p.Replicas = strings.Split(r, ",")
		}
	}
	for k, v := range f {
		if name, ok := strings.CutPrefix(k, "node."); ok {
			var ns NodeState
			if err := json.Unmarshal([]byte(v), &ns); err != nil {
				return nil, fmt.Errorf("status of node %s: %w", name, err)
			}
			s.Nodes[name] = ns
		}
	}
	if b := f["backup"]; b != "" {
		s.Backup = &Backup{}
		if err := json.Unmarshal([]byte(b), s.Backup); err != nil {
			return nil, fmt.Errorf("status backup: %w", err)
		}
	}
	return s, nil
}

// NodeNames returns the names of the nodes in s, sorted.
func (s *Status) NodeNames() []string {
	out := make([]string, 0, len(s.Nodes))
	for n := range s.Nodes {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Compute returns the cluster state from the partitions and nodes:
// HALT when a partition has no master, DEGRADED when a node is not up,
// OK otherwise.
func Compute(parts []Partition, nodes map[string]NodeState) string {
	for _, p := range parts {
		if p.Master == "" {
			return Halt
		}
	}
	for _, n := range nodes {
		if n.State != NodeUp {
			return Degraded
		}
	}
	return OK
}
