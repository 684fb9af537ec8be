package plan

import (
	"sort"
	"time"
)

// FormatVersion is the version of the plan's JSON form and of plan files.
const FormatVersion = "1.0"

// Action is what apply will do to a resource.
type Action string

// Actions, in the order a human view lists them.
const (
	NoOp    Action = "no-op"
	Create  Action = "create"
	Update  Action = "update"  // in place: files and CONFIG SET, no restart
	Restart Action = "restart" // in place, but the node must restart (rolled)
	Replace Action = "replace" // delete then create
	Delete  Action = "delete"
	Repair  Action = "repair" // undo drift made outside roma, or start what roma stop stopped (Drift false)
)

// Symbol is the action's mark in the human view.
func (a Action) Symbol() string {
	switch a {
	case Create:
		return "+"
	case Update, Repair:
		return "~"
	case Restart:
		return "~"
	case Replace:
		return "-/+"
	case Delete:
		return "-"
	}
	return " "
}

// Plan is the outcome of planning: every resource that needs an action,
// what was noticed but needs none, and fingerprints of the observed state.
type Plan struct {
	FormatVersion string     `json:"format_version"`
	Cluster       string     `json:"cluster"`
	Created       time.Time  `json:"created"`
	Resources     []Resource `json:"resources"`
	Notes         []Note     `json:"notes,omitempty"`
	Unobserved    []Note     `json:"unobserved,omitempty"`
	Refusals      []Note     `json:"refusals,omitempty"`
	// Fingerprints maps every observed resource address to a digest of
	// what was observed of it; apply refuses a plan whose fingerprints no
	// longer match ("stale plan").
	Fingerprints map[string]string `json:"fingerprints"`
	// Targets lists the -target addresses the plan was limited to.
	Targets []string `json:"targets,omitempty"`
}

// Resource is one addressable thing roma manages and what to do with it.
type Resource struct {
	Address     string   `json:"address"` // node.db1-7000, status.st1, host.db1, partition.0
	Kind        string   `json:"kind"`    // host, node, status, partition
	Name        string   `json:"name"`
	Host        string   `json:"host,omitempty"`
	Action      Action   `json:"action"`
	Reasons     []string `json:"reasons,omitempty"`
	Changes     []Change `json:"changes,omitempty"`
	Drift       bool     `json:"drift,omitempty"`       // the difference was made outside roma
	Destructive bool     `json:"destructive,omitempty"` // data may be lost
	// Steps are the concrete operations apply performs, in order, for
	// repairs and replication (e.g. "replicaof db1-7000").
	Steps []Step `json:"steps,omitempty"`
}

// Change is one attribute's difference.
type Change struct {
	Attr      string `json:"attr"`
	Old       string `json:"old,omitempty"`
	New       string `json:"new,omitempty"`
	OldNull   bool   `json:"old_null,omitempty"` // not set before
	NewNull   bool   `json:"new_null,omitempty"` // removed
	Sensitive bool   `json:"sensitive,omitempty"`
	// Unknown is set when the new value is known only once apply runs
	// (New is then empty): "(known after apply)".
	Unknown bool `json:"unknown,omitempty"`
	// Restart is set when Redis cannot take the change at runtime.
	Restart bool `json:"restart,omitempty"`
	// Drift is set when the live value was changed outside roma.
	Drift bool `json:"drift,omitempty"`
}

// Step is one operation of a repair or bootstrap.
type Step struct {
	Op     string `json:"op"`               // start, replicaof, promote, demote, handover, config-set, write-conf
	Node   string `json:"node"`             // the node acted on
	Target string `json:"target,omitempty"` // the master to follow, for replicaof/demote; the new master, for handover
	// Addr is where Node runs now, when roma.hcl no longer declares it
	// there: the node a handover hands over from, a node a restart moves.
	Addr string `json:"addr,omitempty"`
	// Pick, on the promote step of a partition whose last master was
	// stopped (or all its nodes were, or that is created over data from
	// before), has apply pick the master again once it has started them,
	// from the published status and their keys; Node is the plan's pick
	// from what it observed, and the partition's other steps follow
	// whichever node apply picks.
	Pick bool `json:"pick,omitempty"`
}

// Note is information attached to an address.
type Note struct {
	Address string `json:"address"`
	Message string `json:"message"`
}

// Counts returns how many resources will be added, changed and destroyed.
// A replace counts as one add and one destroy, as in Terraform.
func (p *Plan) Counts() (add, change, destroy int) {
	for _, r := range p.Resources {
		switch r.Action {
		case Create:
			add++
		case Update, Restart, Repair:
			change++
		case Replace:
			add++
			destroy++
		case Delete:
			destroy++
		}
	}
	return
}

// HasChanges reports whether applying the plan would change anything.
func (p *Plan) HasChanges() bool {
	for _, r := range p.Resources {
		if r.Action != NoOp {
			return true
		}
	}
	return false
}

// Drift returns the resources whose difference was made outside roma.
func (p *Plan) Drift() []Resource {
	var out []Resource
	for _, r := range p.Resources {
		if r.Drift {
			out = append(out, r)
		}
	}
	return out
}

// Stale compares the fingerprints of a saved plan with those of a plan
// made now, and says what changed since the saved one was made.
func Stale(saved, now *Plan) []string {
	var out []string
	for k, v := range saved.Fingerprints {
		switch nv, ok := now.Fingerprints[k]; {
		case !ok:
			out = append(out, k+" is no longer observed")
		case nv != v && k == "config":
			out = append(out, "roma.hcl changed")
		case nv != v:
			out = append(out, k+" changed")
		}
	}
	for k := range now.Fingerprints {
		if _, ok := saved.Fingerprints[k]; !ok {
			out = append(out, k+" appeared")
		}
	}
	sort.Strings(out)
	return out
}
