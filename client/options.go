package client

import (
	"time"

	"github.com/roma-redis/roma/cluster"
)

// Options configure a Client. Cluster and StatusAddrs are required; the
// rest have defaults. NewFromSpec fills the cluster's part from roma.hcl.
type Options struct {
	// Cluster is the cluster's name, as in roma.hcl.
	Cluster string
	// StatusAddrs are the host:port addresses of the cluster's status nodes.
	StatusAddrs []string
	// Password is the cluster password, for data and status nodes alike.
	Password cluster.Secret
	// Databases maps a data node's name to the database (SELECT index)
	// its partition's keys use on it; a node not listed uses 0.
	Databases map[string]int
	// NodeAddrs maps a data node's name to its host:port, for a status
	// that does not give it.
	NodeAddrs map[string]string
	// Hash is the hash function (as in roma.hcl) used when the status
	// names none. The status's own always wins.
	Hash string

	// ReplicaReads sends read-only commands to a replica that is up,
	// in turn, rather than to the master. Replicas may lag behind.
	ReplicaReads bool

	// PollInterval is how often the status is read even when no change
	// is published (default 1s).
	PollInterval time.Duration
	// StatusTimeout bounds one read of the status nodes (default 2s).
	StatusTimeout time.Duration
	// FailoverWait is how long a command that failed because of a
	// failover (READONLY, LOADING, connection refused...) waits for a
	// newer status before its one retry (default 3s; from roma.hcl,
	// romad's down_after and 2s more: romad fails a master over once it
	// has been silent for down_after, and a shorter wait gave up before).
	FailoverWait time.Duration
	// DownAfter is romad's down_after (default 5s; from roma.hcl, its
	// own). A write whose reply took half as long or more has the status
	// read again before it is reported done: romad may have failed its
	// master over just before the master answered (ErrDeposed).
	DownAfter time.Duration

	// DialTimeout, ReadTimeout and WriteTimeout apply to every
	// connection to a node (defaults 2s, 3s, 3s; a negative ReadTimeout
	// waits for replies as long as they take, as blocking commands with
	// no timeout of their own need). A command's context deadline bounds
	// its reads and writes too. A command that gets no reply in time
	// fails with ErrNoReply, naming the node, and is not retried.
	DialTimeout, ReadTimeout, WriteTimeout time.Duration
	// PoolSize is the number of connections kept per node (go-redis's
	// default when 0).
	PoolSize int
}

// failoverMargin is how long after down_after a failover is waited for:
// romad's alpha acts on its next round, promotes, and publishes (about
// 0.3s in make bench's failover trials).
const failoverMargin = 2 * time.Second

func (o *Options) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.PollInterval, time.Second)
	def(&o.StatusTimeout, 2*time.Second)
	def(&o.FailoverWait, 3*time.Second)
	def(&o.DownAfter, 5*time.Second)
	def(&o.DialTimeout, 2*time.Second)
	if o.ReadTimeout == 0 {
		o.ReadTimeout = 3 * time.Second
	}
	def(&o.WriteTimeout, 3*time.Second)
}

// SpecOptions returns the Options of the cluster spec declares: its name,
// status nodes, password, each node's database and address, and its hash
// function. Tuning fields are left zero.
func SpecOptions(spec *cluster.Spec) Options {
	o := Options{
		Cluster:   spec.Name,
		Password:  spec.Password,
		Databases: map[string]int{},
		NodeAddrs: map[string]string{},
		Hash:      spec.Hash,
	}
	for _, s := range spec.Status {
		o.StatusAddrs = append(o.StatusAddrs, spec.Addr(s.Host, s.Port))
	}
	if spec.Romad != nil && spec.Romad.DownAfter > 0 {
		o.FailoverWait = spec.Romad.DownAfter + failoverMargin
		o.DownAfter = spec.Romad.DownAfter
	}
	for _, n := range spec.Nodes {
		o.Databases[n.Name] = n.Database
		o.NodeAddrs[n.Name] = spec.Addr(n.Host, n.Port)
	}
	return o
}
