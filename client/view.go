package client

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/providers/hash"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/status"
)

// view is what the client routes by: one status, turned into a connection
// per partition master and replica. A view never changes; a new status
// makes a new view.
type view struct {
	status *status.Status // nil before any status was read
	epoch  int64
	err    error // non-nil: every command fails with it (HALT, no majority)
	hash   hash.Func
	// hashStr is hash when it can hash a string key without copying it.
	hashStr hash.StringFunc
	parts   []partView
	next    *atomic.Uint64 // round robin over replicas
}

type partView struct {
	master   *node   // nil when the partition has no master
	replicas []*node // replicas that are up
	err      error   // why master is nil
}

// node is one data node as the client reaches it.
type node struct {
	Name   string
	Addr   string
	DB     int
	client *redis.Client
	// cut is set when romad deposed the node, a master, and the client
	// closed its connections to end the commands waiting on it (cut).
	cut atomic.Pointer[cutOff]
}

// isMaster reports whether n is a partition's master in v.
func (v *view) isMaster(n *node) bool {
	for i := range v.parts {
		if m := v.parts[i].master; m != nil && m.same(n) {
			return true
		}
	}
	return false
}

// same reports whether n and o reach the same node: one connection set,
// or one address and database (a view built after o's was cut).
func (n *node) same(o *node) bool { return n == o || n.Addr == o.Addr && n.DB == o.DB }

// pick returns the node partition p's command goes to.
func (v *view) pick(p int, read bool, replicas bool) (*node, error) {
	if v.err != nil {
		return nil, v.err
	}
	if p < 0 || p >= len(v.parts) {
		return nil, fmt.Errorf("partition %d is not in the status (%d partitions)", p, len(v.parts))
	}
	pv := &v.parts[p]
	if read && replicas && len(pv.replicas) > 0 {
		return pv.replicas[v.next.Add(1)%uint64(len(pv.replicas))], nil
	}
	if pv.master == nil {
		return nil, pv.err
	}
	return pv.master, nil
}

// partition returns the partition of one key.
func (v *view) partition(key any) (int, error) {
	if v.hash == nil {
		return 0, v.err
	}
	if s, ok := key.(string); ok && v.hashStr != nil {
		return v.hashStr.PartitionString(s, len(v.parts))
	}
	return v.hash.Partition(argBytes(key), len(v.parts))
}

// nodeSet keeps one go-redis client per node (name, address and database),
// so that views share connections. Clients live until the Client closes.
type nodeSet struct {
	mu    sync.Mutex
	nodes map[string]*node
	opts  func(addr string, db int) *redis.Options
}

func (s *nodeSet) get(name, addr string, db int) *node {
	key := fmt.Sprintf("%s|%s|%d", name, addr, db)
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, ok := s.nodes[key]; ok {
		return n
	}
	n := &node{Name: name, Addr: addr, DB: db, client: redisconn.NewClient(s.opts(addr, db))}
	s.nodes[key] = n
	return n
}

// detach marks n, a master that romad deposed in the status at epoch,
// with master the partition's master there ("" for none), as cut, and
// takes it out of the set, so that views built from here on get a new
// connection to it. It reports whether n was not cut already: the caller
// then closes n's connections, once a newer view is in.
func (s *nodeSet) detach(n *node, epoch int64, master string) bool {
	if !n.cut.CompareAndSwap(nil, &cutOff{epoch: epoch, master: master}) {
		return false
	}
	s.mu.Lock()
	key := fmt.Sprintf("%s|%s|%d", n.Name, n.Addr, n.DB)
	if s.nodes[key] == n {
		delete(s.nodes, key)
	}
	s.mu.Unlock()
	return true
}

func (s *nodeSet) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, n := range s.nodes {
		n.client.Close()
		delete(s.nodes, k)
	}
}

// buildView turns a status into a view. hashFor returns the hash function
// of a spec.
func buildView(st *status.Status, o *Options, nodes *nodeSet, hashFor func(string) (hash.Func, error)) *view {
	v := &view{status: st, epoch: st.Epoch, parts: make([]partView, len(st.Partitions)), next: new(atomic.Uint64)}
	spec := st.Hash
	if spec == "" {
		spec = o.Hash
	}
	h, err := hashFor(spec)
	switch {
	case err != nil:
		v.err = fmt.Errorf("cluster %q: hash function %q: %w", o.Cluster, spec, err)
		return v
	case len(st.Partitions) == 0:
		v.err = fmt.Errorf("cluster %q: the status (epoch %d) lists no partitions", o.Cluster, st.Epoch)
		return v
	}
	v.hash = h
	v.hashStr, _ = h.(hash.StringFunc)
	var lacking []string
	for p, part := range st.Partitions {
		pv := &v.parts[p]
		if m, err := nodeOf(st, o, part.Master); err != nil {
			pv.err = &HaltError{Cluster: o.Cluster, Epoch: st.Epoch, Reason: fmt.Sprintf("partition %d %s", p, err)}
			lacking = append(lacking, fmt.Sprint(p))
		} else {
			pv.master = nodes.get(part.Master, m.Addr, m.DB)
		}
		for _, r := range part.Replicas {
			if ns := st.Nodes[r]; ns.State == status.NodeUp {
				if n, err := nodeOf(st, o, r); err == nil {
					pv.replicas = append(pv.replicas, nodes.get(r, n.Addr, n.DB))
				}
			}
		}
	}
	if st.State == status.Halt {
		reason := "romad says so"
		switch len(lacking) {
		case 0:
		case 1:
			reason = "partition " + lacking[0] + " has no master"
		default:
			reason = "partitions " + strings.Join(lacking, ", ") + " have no master"
		}
		v.err = &HaltError{Cluster: o.Cluster, Epoch: st.Epoch, Reason: reason}
	}
	return v
}

// nodeOf returns where node name is, or why it cannot be reached.
func nodeOf(st *status.Status, o *Options, name string) (node, error) {
	if name == "" {
		return node{}, fmt.Errorf("has no master")
	}
	addr := st.Nodes[name].Addr
	if addr == "" {
		addr = o.NodeAddrs[name]
	}
	if addr == "" {
		return node{}, fmt.Errorf("has master %s, whose address the status does not give", name)
	}
	db, ok := o.Databases[name]
	if !ok {
		db = st.Nodes[name].Database // a client built from status nodes alone
	}
	return node{Name: name, Addr: addr, DB: db}, nil
}

// noMajority is the error of a status reading without a majority: when
// no status node answered and those that gave a reason refused the
// password, it says that alone.
func noMajority(cluster string, r status.Reading) error {
	var errs []string
	refused, other, first := 0, 0, ""
	for a, e := range r.Errors {
		errs = append(errs, a+": "+e)
		switch {
		case redisconn.PasswordRefusal(e):
			if refused++; first == "" || e < first {
				first = e
			}
		case !strings.HasPrefix(e, "no answer yet"):
			other++
		}
	}
	if r.Answered == 0 && refused > 0 && other == 0 {
		return &HaltError{Cluster: cluster, NoMajority: true, Password: true,
			Reason: fmt.Sprintf("the status nodes refuse the client's password (%d of %d: %s)", refused, r.Total, first)}
	}
	sort.Strings(errs)
	reason := fmt.Sprintf("no majority of status nodes answered (%d of %d", r.Answered, r.Total)
	if len(errs) > 0 {
		reason += "; " + strings.Join(errs, "; ")
	}
	return &HaltError{Cluster: cluster, Reason: reason + ")", NoMajority: true}
}
