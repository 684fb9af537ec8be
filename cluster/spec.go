package cluster

import (
	"net"
	"strconv"
	"time"
)

// Spec is the desired state of one roma cluster, as declared in roma.hcl.
// Slices keep declaration order; names are unique within their kind.
type Spec struct {
	Name       string
	Partitions int
	Hash       string // "jump", "modulo" or "exec:/path/to/program"
	Password   Secret // requirepass and masterauth of every node
	Redis      Settings

	Hosts  []Host
	Nodes  []Node
	Status []StatusNode
	Romad  *Romad  // nil when not declared
	Backup *Backup // nil when not declared
	Alerts []Alert

	// Dir is the directory roma.hcl was read from; relative local paths
	// in the model have already been resolved against it.
	Dir string
}

// Transport names how roma reaches a host.
const (
	TransportSSH   = "ssh"
	TransportLocal = "local"
)

// Service managers.
const (
	ServiceSystemd = "systemd"
	ServiceProcess = "process"
)

// Host is a machine roma manages.
type Host struct {
	Name      string
	Address   string // the address every node and romad on it binds
	Transport string
	SSH       SSH
	Root      string // everything roma writes on this host lives under Root
	Service   string
}

// SSH holds how to reach a host over SSH. Empty fields fall back to
// ~/.ssh/config and then to defaults.
type SSH struct {
	User         string
	Port         int
	IdentityFile string
	KnownHosts   string
}

// Node is one data node: a redis-server serving one partition.
type Node struct {
	Name      string
	Host      string
	Port      int
	Partition int
	Database  int
	Redis     Settings // effective settings: cluster-wide merged with the node's own
}

// StatusNode is a plain Redis that holds the cluster status.
type StatusNode struct {
	Name string
	Host string
	Port int
}

// Romad declares the monitors.
type Romad struct {
	Hosts     []string
	DownAfter time.Duration
	HTTPPort  int
}

// Backup declares scheduled backups.
type Backup struct {
	Every time.Duration
	Keep  int
	Host  string
	Dir   string
}

// OverdueAfter is how long after the last backup began scheduled backups
// are overdue: twice every, so that a backup that runs long, or is
// retried after a failure, is not called missing. Zero when none are
// scheduled.
func (b *Backup) OverdueAfter() time.Duration {
	if b == nil || b.Every <= 0 {
		return 0
	}
	return 2 * b.Every
}

// Alert declares where alerts go. Kind is "email" or "webhook".
type Alert struct {
	Kind     string
	SMTP     string // host:port, email only
	From     string
	To       []string
	Username string
	Password Secret
	URL      string // webhook only
	DownFor  time.Duration
}

// Host returns the host with the given name.
func (s *Spec) Host(name string) (Host, bool) {
	for _, h := range s.Hosts {
		if h.Name == name {
			return h, true
		}
	}
	return Host{}, false
}

// Node returns the data node with the given name.
func (s *Spec) Node(name string) (Node, bool) {
	for _, n := range s.Nodes {
		if n.Name == name {
			return n, true
		}
	}
	return Node{}, false
}

// PartitionNodes returns the data nodes of partition p in declaration order.
// The first of them is the one apply bootstraps as master.
func (s *Spec) PartitionNodes(p int) []Node {
	var out []Node
	for _, n := range s.Nodes {
		if n.Partition == p {
			out = append(out, n)
		}
	}
	return out
}

// Addr returns the host:port a node listens on.
func (s *Spec) Addr(host string, port int) string {
	h, _ := s.Host(host)
	return net.JoinHostPort(h.Address, strconv.Itoa(port))
}
