package backup

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/redisinfo"
)

// NodeState is what INFO says about a data node.
type NodeState struct {
	Node         cluster.Node
	Addr         string
	Err          error // why the node did not answer; nil when it did
	Role         string
	MasterAddr   string // replicas: host:port of the master they follow
	LinkUp       bool
	Syncing      bool // a replica in the middle of a full sync
	Loading      bool
	Offset       int64 // master_repl_offset, or slave_repl_offset
	RedisVersion string
	Keys         int64 // keys in every database, from INFO keyspace
}

// Up reports whether the node answered.
func (n NodeState) Up() bool { return n.Err == nil }

// Partition is one partition as observed: its master and the node to
// take the RDB from.
type Partition struct {
	P      int
	Nodes  []NodeState // in declaration order
	Master *NodeState  // nil when no node is master
	Source *NodeState  // a healthy replica with the highest offset, else the master
	// Undeclared are the masters the partition's replicas follow that
	// roma.hcl does not declare: a node removed from roma.hcl that apply
	// has not removed yet, which still serves. Master is one of them
	// when no declared node is master.
	Undeclared []NodeState
}

// Clients makes Redis clients of the cluster's data nodes.
type Clients struct {
	Password  string
	Previous  string // the password Password replaces, during a rotation
	LocalAddr string // source address to connect from; "" lets the system choose
	Timeout   time.Duration
}

// New returns a client of the node at addr.
func (c Clients) New(addr string) *redis.Client {
	t := c.Timeout
	if t <= 0 {
		t = 5 * time.Second
	}
	o := redisconn.FromAddress(redisconn.Options(addr, c.Password, t, 2), c.LocalAddr)
	return redisconn.NewClient(redisconn.WithPrevious(o, c.Previous))
}

// Observe reads INFO from every data node of spec in parallel and picks,
// per partition, its master and the node to back it up from.
func Observe(ctx context.Context, spec *cluster.Spec, cl Clients) []Partition {
	states := make([]NodeState, len(spec.Nodes))
	var wg sync.WaitGroup
	for i, n := range spec.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			states[i] = observeNode(ctx, spec, n, cl)
		}()
	}
	wg.Wait()
	parts := make([]Partition, spec.Partitions)
	for p := range parts {
		parts[p].P = p
	}
	for _, s := range states {
		if s.Node.Partition >= 0 && s.Node.Partition < len(parts) {
			parts[s.Node.Partition].Nodes = append(parts[s.Node.Partition].Nodes, s)
		}
	}
	declared := map[string]bool{}
	for _, s := range states {
		declared[s.Addr] = true
	}
	for p := range parts {
		parts[p].choose()
		if parts[p].Master == nil {
			parts[p].adopt(ctx, cl, declared)
		}
	}
	return parts
}

// adopt looks for a master that p's replicas follow but roma.hcl does not
// declare (a node removed from roma.hcl, not yet by apply), and makes it
// p's master when it answers as one.
func (p *Partition) adopt(ctx context.Context, cl Clients, declared map[string]bool) {
	seen := map[string]bool{}
	for _, n := range p.Nodes {
		addr := n.MasterAddr
		if !n.Up() || n.Role != "slave" || addr == "" || declared[addr] || seen[addr] {
			continue
		}
		seen[addr] = true
		s := observeAddr(ctx, cluster.Node{Name: addr + " (not in roma.hcl)", Partition: p.P}, addr, cl)
		if s.Up() && s.Role == "master" {
			p.Undeclared = append(p.Undeclared, s)
		}
	}
	best := -1
	for i := range p.Undeclared {
		if best < 0 || p.followers(p.Undeclared[i].Addr) > p.followers(p.Undeclared[best].Addr) {
			best = i
		}
	}
	if best >= 0 {
		p.Master = &p.Undeclared[best]
		p.chooseSource()
	}
}

func observeNode(ctx context.Context, spec *cluster.Spec, n cluster.Node, cl Clients) NodeState {
	return observeAddr(ctx, n, spec.Addr(n.Host, n.Port), cl)
}

func observeAddr(ctx context.Context, n cluster.Node, addr string, cl Clients) NodeState {
	s := NodeState{Node: n, Addr: addr}
	c := cl.New(s.Addr)
	defer c.Close()
	info, err := c.Info(ctx, "server", "replication", "persistence", "keyspace").Result()
	if err != nil {
		s.Err = cluster.NewSecret(cl.Password).RedactError(err)
		return s
	}
	kv := redisinfo.Parse(info)
	s.Role = kv["role"]
	s.RedisVersion = kv["redis_version"]
	s.Loading = kv["loading"] == "1"
	s.MasterAddr = kv.MasterAddr()
	s.LinkUp = kv.Replica() && kv.LinkUp()
	s.Syncing = kv.Replica() && kv["master_sync_in_progress"] == "1"
	s.Offset = kv.Offset()
	s.Keys = kv.TotalKeys()
	return s
}

// choose picks the master (a node that says it is master, the one most
// replicas follow when several do) and the source.
func (p *Partition) choose() {
	best := -1
	for i := range p.Nodes {
		n := &p.Nodes[i]
		if !n.Up() || n.Role != "master" {
			continue
		}
		f := p.followers(n.Addr)
		if best < 0 || f > p.followers(p.Nodes[best].Addr) {
			best = i
		}
	}
	if best < 0 {
		return
	}
	p.Master = &p.Nodes[best]
	p.chooseSource()
}

// chooseSource picks the healthy replica of p.Master with the highest
// offset, else the master.
func (p *Partition) chooseSource() {
	p.Source = p.Master
	var bestOffset int64 = -1
	for i := range p.Nodes {
		n := &p.Nodes[i]
		if n.Healthy(p.Master.Addr) && n.Offset > bestOffset {
			p.Source, bestOffset = n, n.Offset
		}
	}
}

// Healthy reports whether n is a replica in sync with the master at
// masterAddr: up, following it, link up, not loading nor syncing.
func (n *NodeState) Healthy(masterAddr string) bool {
	return n.Up() && n.Role == "slave" && n.MasterAddr == masterAddr && n.LinkUp && !n.Syncing && !n.Loading
}

func (p *Partition) followers(addr string) int {
	f := 0
	for _, n := range p.Nodes {
		if n.Up() && n.Role == "slave" && n.MasterAddr == addr {
			f++
		}
	}
	return f
}

// PasswordRefused returns an error when more than one data node was
// observed and every one that runs refuses roma.hcl's password: that,
// not each partition's lack of a master, is then what to mend.
func PasswordRefused(parts []Partition) error {
	refused := 0
	var first error
	for _, p := range parts {
		for _, n := range p.Nodes {
			switch {
			case n.Up():
				return nil
			case redisconn.RefusesPassword(n.Err):
				if refused++; first == nil {
					first = n.Err
				}
			}
		}
	}
	if refused < 2 {
		return nil
	}
	return fmt.Errorf("every data node that runs (%d) refuses roma.hcl's password (%v): %s", refused, first, cluster.PasswordHint)
}

// Problem says why the partition cannot be backed up, or "".
func (p *Partition) Problem() string {
	if p.Master != nil {
		return ""
	}
	var why []string
	for _, n := range p.Nodes {
		switch {
		case !n.Up():
			why = append(why, fmt.Sprintf("%s down (%v)", n.Node.Name, n.Err))
		default:
			why = append(why, fmt.Sprintf("%s is %s", n.Node.Name, n.Role))
		}
	}
	return fmt.Sprintf("partition %d has no master: %s", p.P, strings.Join(why, "; "))
}
