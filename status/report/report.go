package report

import (
	"fmt"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/status"
)

// Where a report's state comes from.
const (
	SourceStatus = "status" // as the alpha romad published it, and the probe agrees
	SourceProbe  = "probe"  // derived from the direct probe of the nodes
)

// Report is the state of one cluster as roma status shows it.
type Report struct {
	Cluster string `json:"cluster"`
	// State is OK, DEGRADED or HALT: the worse of the published state and
	// the state the probe finds (see Build).
	State string `json:"state"`
	// Source says whether State is the published one ("status") or was
	// derived from the probe ("probe").
	Source  string    `json:"source"`
	Checked time.Time `json:"checked"` // when the report was made

	// Published is the status with the highest epoch that any status node
	// holds; nil when none could be read.
	Published   *Published   `json:"published,omitempty"`
	StatusNodes []StatusNode `json:"status_nodes"`
	Agreement   Agreement    `json:"agreement"`

	Partitions []Partition `json:"partitions"`
	Nodes      []Node      `json:"nodes"` // data nodes by partition, its master first, then in declaration order

	Backup *status.Backup `json:"backup,omitempty"`
	Drift  *Drift         `json:"drift,omitempty"` // set by roma status --drift

	// Problems are what an operator should know, one sentence each, most
	// serious first.
	Problems []string `json:"problems,omitempty"`
}

// Published is what the status nodes say.
type Published struct {
	State       string    `json:"state"`
	Epoch       int64     `json:"epoch"`
	Alpha       string    `json:"alpha"`
	Updated     time.Time `json:"updated"`
	Maintenance bool      `json:"maintenance,omitempty"`
}

// Agreement is how the status nodes answered.
type Agreement struct {
	Total    int `json:"total"`    // status nodes declared
	Answered int `json:"answered"` // that answered with a status
	Agreeing int `json:"agreeing"` // that hold the highest epoch
	// Majority is set when more than half of all status nodes hold the
	// highest epoch: the published status is then trusted.
	Majority bool `json:"majority"`
}

// StatusNode is one status node as read.
type StatusNode struct {
	Name  string `json:"name"`
	Addr  string `json:"addr"`
	Up    bool   `json:"up"`              // it answered with a status
	Epoch int64  `json:"epoch,omitempty"` // the epoch it holds
	Error string `json:"error,omitempty"` // why it did not answer
	// Stopped, as Node's.
	Stopped *status.Stopped `json:"stopped,omitempty"`
}

// Partition is one partition's master and the other nodes serving it.
type Partition struct {
	Index  int    `json:"index"`
	Master string `json:"master"` // "" when it has none
	// Serving is set when Master is up and a master, as probed.
	Serving  bool     `json:"serving"`
	Replicas []string `json:"replicas"` // the partition's other nodes
	// Lost is, when the partition has no master, the master it lost with
	// no replica fit to take over, as published: it alone holds the
	// newest data.
	Lost string `json:"lost,omitempty"`
}

// Node is one data node as probed.
type Node struct {
	Name      string `json:"name"`
	Host      string `json:"host"`
	Addr      string `json:"addr"`
	Partition int    `json:"partition"`
	Role      string `json:"role,omitempty"` // master or replica; "" when unreachable
	State     string `json:"state"`          // up, down or loading
	// Since is when State began, when known: from the published status
	// when it agrees, else from the node's uptime.
	Since  time.Time `json:"since,omitzero"`
	Master string    `json:"master,omitempty"` // replicas: the node (or address) it replicates from
	Link   string    `json:"link,omitempty"`   // replicas: up or down
	// Lag is how many bytes of replication stream a replica is behind
	// its master; nil when unknown.
	Lag       *int64 `json:"lag,omitempty"`
	Memory    int64  `json:"memory"`              // used_memory, bytes
	MaxMemory int64  `json:"maxmemory,omitempty"` // 0: no limit
	Keys      int64  `json:"keys"`                // in the node's database
	Error     string `json:"error,omitempty"`     // why it is down
	// Undeclared is set on a node roma.hcl does not declare (removed
	// from it, not yet applied) that the published status names: it is
	// probed at its published address, since it serves until apply
	// removes it.
	Undeclared bool `json:"undeclared,omitempty"`
	// Stopped, on a node down, says that roma stop stopped it on purpose
	// (from the published status): who and when.
	Stopped *status.Stopped `json:"stopped,omitempty"`
}

// Drift is what a quick plan found.
type Drift struct {
	Items      int      `json:"items"`      // resources changed outside roma
	Resources  []string `json:"resources"`  // their addresses
	Changes    int      `json:"changes"`    // resources apply would change, drift included
	Unobserved int      `json:"unobserved"` // resources the plan could not observe
}

// Up returns how many data nodes are up.
func (r *Report) Up() int {
	n := 0
	for _, nd := range r.Nodes {
		if nd.State == status.NodeUp {
			n++
		}
	}
	return n
}

// Down returns the names of the data nodes that are not up, but those
// roma stop stopped (Stopped).
func (r *Report) Down() []string {
	var out []string
	for _, nd := range r.Nodes {
		if nd.State != status.NodeUp && nd.Stopped == nil {
			out = append(out, nd.Name)
		}
	}
	return out
}

// Stopped returns the names of the data nodes roma stop stopped.
func (r *Report) Stopped() []string {
	var out []string
	for _, nd := range r.Nodes {
		if nd.State != status.NodeUp && nd.Stopped != nil {
			out = append(out, nd.Name)
		}
	}
	return out
}

// Serving returns how many partitions have a master serving them.
func (r *Report) Serving() int {
	n := 0
	for _, p := range r.Partitions {
		if p.Serving {
			n++
		}
	}
	return n
}

// Node returns the data node with the given name.
func (r *Report) Node(name string) (Node, bool) {
	for _, n := range r.Nodes {
		if n.Name == name {
			return n, true
		}
	}
	return Node{}, false
}

// PasswordRefused returns an error when the report saw nothing of the
// cluster because of its password: no status node answered with a status,
// no data node answered, and at least one of them refused the password
// roma.hcl gives (WRONGPASS, NOAUTH). The report's state (HALT, every
// node down) is then not the cluster's but roma.hcl's, or the variables
// it was given; nil otherwise.
func (r *Report) PasswordRefused() error {
	refused, silent, first := 0, 0, ""
	count := func(msg string) {
		if !redisconn.PasswordRefusal(msg) {
			silent++
			return
		}
		if refused++; first == "" {
			first = msg
		}
	}
	for _, sn := range r.StatusNodes {
		if sn.Up {
			return nil
		}
		count(sn.Error)
	}
	for _, nd := range r.Nodes {
		if nd.State != status.NodeDown {
			return nil
		}
		count(nd.Error)
	}
	const fix = cluster.PasswordHint
	switch {
	case refused == 0:
		return nil
	case silent == 0:
		return fmt.Errorf("every node refuses roma.hcl's password (%s): the cluster's state cannot be seen; %s", first, fix)
	}
	refuse, answer := "refuse", "do not answer"
	if refused == 1 {
		refuse = "refuses"
	}
	if silent == 1 {
		answer = "does not answer"
	}
	return fmt.Errorf("no node accepts roma.hcl's password: %d %s it (%s) and the other %d %s, so the cluster's state cannot be seen; %s",
		refused, refuse, first, silent, answer, fix)
}
