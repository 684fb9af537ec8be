package restore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/backup"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/providers/store"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/status"
)

// Plan is what a restore will do: for each partition, the node that gets
// the backup's RDB and becomes master, and the nodes that are emptied and
// become its replicas. It is a plain value: Prepare decides, WritePlan
// shows, Run carries out.
type Plan struct {
	Cluster    string
	Store      string // where the backup is
	Backup     *backup.Manifest
	Partitions []PartitionPlan
	Prepared   time.Time
}

// PartitionPlan is one partition's part of a plan.
type PartitionPlan struct {
	P        int
	File     backup.File
	Expired  int64 // keys of the file whose TTL had passed when it was verified
	Master   NodePlan
	Replicas []NodePlan
}

// NodePlan is a node a restore overwrites, as it was observed.
type NodePlan struct {
	Name string
	Host string
	Addr string
	Up   bool
	Role string // master, replica, or "" when down
	Keys int64  // keys it holds now (0 when down)
	AOF  bool   // appendonly yes: its append-only file is set aside
}

// Refusal is a restore that must not happen; nothing was touched.
type Refusal struct{ Err error }

func (r *Refusal) Error() string { return "refusing to restore: " + r.Err.Error() }
func (r *Refusal) Unwrap() error { return r.Err }

// Prepare reads backup id from st, checks that it fits the cluster spec
// declares and that every file reads back intact, observes the nodes, and
// returns the plan. A backup that does not fit or does not verify is a
// *Refusal.
func Prepare(ctx context.Context, spec *cluster.Spec, st store.Store, id string, only []int) (*Plan, error) {
	m, checks, err := backup.Verify(ctx, st, spec.Name, id, time.Now())
	if m == nil {
		return nil, &Refusal{err}
	}
	if ferr := m.Fits(spec); ferr != nil {
		return nil, &Refusal{ferr}
	}
	if err != nil {
		return nil, &Refusal{fmt.Errorf("backup %s does not verify, so nothing will be overwritten:\n%w", id, err)}
	}
	want := map[int]bool{}
	for _, p := range only {
		if p < 0 || p >= spec.Partitions {
			return nil, &Refusal{fmt.Errorf("partition %d: the cluster has partitions 0 to %d", p, spec.Partitions-1)}
		}
		want[p] = true
	}
	parts := backup.Observe(ctx, spec, backup.Clients{Password: spec.Password.Reveal(), Previous: spec.Password.Previous().Reveal()})
	// A node that refuses the password cannot be asked its role, nor
	// be stopped with a save: restore would stop it by its process,
	// then wait for it in vain, its partition down.
	if err := backup.PasswordRefused(parts); err != nil {
		return nil, &Refusal{err}
	}
	masters := statusMasters(ctx, spec)
	plan := &Plan{Cluster: spec.Name, Store: st.String(), Backup: m, Prepared: time.Now()}
	var problems []error
	for _, part := range parts {
		if len(want) > 0 && !want[part.P] {
			continue
		}
		for _, u := range part.Undeclared {
			problems = append(problems, fmt.Errorf("partition %d: its master at %s is a node roma.hcl does not declare (removed from roma.hcl, not yet by roma apply): restore would leave it serving its old data beside the restored nodes; run roma apply first",
				part.P, u.Addr))
		}
		pp := PartitionPlan{P: part.P, File: m.Files[part.P], Expired: checks[part.P].Info.Expired}
		mi := chooseMaster(part, masters[part.P])
		for i, n := range part.Nodes {
			if redisconn.RefusesPassword(n.Err) {
				problems = append(problems, fmt.Errorf("partition %d: %s at %s runs with another password than roma.hcl's: restore can neither tell its state nor restart it; give roma.hcl the password the nodes have",
					part.P, n.Node.Name, n.Addr))
			}
			np := nodePlan(spec, n)
			if i == mi {
				pp.Master = np
			} else {
				pp.Replicas = append(pp.Replicas, np)
			}
			if max := maxRDBVersion(n.RedisVersion); n.Up() && max > 0 && pp.File.RDBVersion > max {
				problems = append(problems, fmt.Errorf("partition %d: %s runs Redis %s, which reads RDB version %d at most; the backup's file is version %d (Redis %s)",
					part.P, n.Node.Name, n.RedisVersion, max, pp.File.RDBVersion, pp.File.RedisVersion))
			}
		}
		plan.Partitions = append(plan.Partitions, pp)
	}
	if err := errors.Join(problems...); err != nil {
		return nil, &Refusal{err}
	}
	return plan, nil
}

// chooseMaster returns the index of the node that gets the RDB: the
// master the status names when it answers, else a node that says it is
// master, else the first that answers, else the first declared.
func chooseMaster(part backup.Partition, statusMaster string) int {
	first := -1
	for i, n := range part.Nodes {
		if n.Node.Name == statusMaster && n.Up() {
			return i
		}
		if first < 0 && n.Up() {
			first = i
		}
	}
	if part.Master != nil {
		for i, n := range part.Nodes {
			if n.Node.Name == part.Master.Node.Name {
				return i
			}
		}
	}
	if first >= 0 {
		return first
	}
	for i, n := range part.Nodes {
		if n.Node.Name == statusMaster {
			return i
		}
	}
	return 0
}

func nodePlan(spec *cluster.Spec, n backup.NodeState) NodePlan {
	np := NodePlan{Name: n.Node.Name, Host: n.Node.Host, Addr: n.Addr, Up: n.Up(), Keys: n.Keys, AOF: aofOn(n.Node)}
	switch {
	case !n.Up():
	case n.Role == "slave":
		np.Role = "replica"
	default:
		np.Role = n.Role
	}
	return np
}

// statusMasters returns each partition's master as the published status
// names it, when a majority of status nodes answers.
func statusMasters(ctx context.Context, spec *cluster.Spec) []string {
	if len(spec.Status) == 0 {
		return make([]string, spec.Partitions)
	}
	clients := statusClients(spec)
	defer closeAll(clients)
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return status.ReadMajority(rctx, clients, spec.Name).Masters(spec.Partitions)
}

func statusClients(spec *cluster.Spec) map[string]*redis.Client {
	clients := map[string]*redis.Client{}
	for _, s := range spec.Status {
		addr := spec.Addr(s.Host, s.Port)
		o := redisconn.Options(addr, spec.Password.Reveal(), 2*time.Second, 10)
		o.ReadTimeout, o.WriteTimeout = 0, 0 // go-redis's defaults (3s)
		clients[addr] = redisconn.NewClient(redisconn.WithPrevious(o, spec.Password.Previous().Reveal()))
	}
	return clients
}

func closeAll(clients map[string]*redis.Client) {
	for _, c := range clients {
		c.Close()
	}
}

// aofOn reports whether the node runs with appendonly yes.
func aofOn(n cluster.Node) bool {
	v := n.Redis["appendonly"].Values
	return len(v) == 1 && strings.EqualFold(v[0], "yes")
}

// maxRDBVersion is the newest RDB format a Redis version reads, or 0 when
// the version is not known.
func maxRDBVersion(v string) int {
	f := strings.SplitN(v, ".", 3)
	if len(f) < 2 {
		return 0
	}
	major, err1 := strconv.Atoi(f[0])
	minor, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil {
		return 0
	}
	switch {
	case major >= 8 || major == 7 && minor >= 4:
		return 12
	case major == 7 && minor >= 2:
		return 11
	case major == 7:
		return 10
	case major >= 5:
		return 9
	case major == 4:
		return 8
	case major == 3 && minor >= 2:
		return 7
	}
	return 6
}
