package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/client"
	"github.com/roma-redis/roma/client/clienttest"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/hclspec"
	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/providers/hash"
)

// partitions is the partition count of the main cluster, one lab host per
// partition.
const partitions = 4

// timeout is every go-redis client's read and write timeout: generous, so
// that a slow moment on a loaded machine shows as time, not as an error.
const timeout = 30 * time.Second

// clusterDecl is a cluster the benchmark declares in a roma.hcl.
type clusterDecl struct {
	name   string
	parts  int
	nodes  []nodeDecl // node i serves partition i
	status nodeDecl
}

type nodeDecl struct {
	name, host string
	port       int
}

// mainCluster: 4 partitions, partition i on lab host i+1, port 7000; the
// status node on the last host.
func mainCluster(l *lab.Lab) clusterDecl {
	d := clusterDecl{name: "clientbench", parts: partitions}
	for i := range partitions {
		h := l.Hosts[i].Name
		d.nodes = append(d.nodes, nodeDecl{name: h + "-7000", host: h, port: 7000})
	}
	d.status = nodeDecl{name: "st1", host: l.Hosts[partitions-1].Name, port: 7100}
	return d
}

// pipeCluster: one partition whose node and status node are on the first
// lab host: roma cli's side of (c).
func pipeCluster(l *lab.Lab) clusterDecl {
	h := l.Hosts[0].Name
	return clusterDecl{name: "pipebench", parts: 1,
		nodes:  []nodeDecl{{name: h + "-7001", host: h, port: 7001}},
		status: nodeDecl{name: "st2", host: h, port: 7101}}
}

// configText is d's roma.hcl: no persistence (no RDB fork or AOF write in
// the middle of a run), no eviction (a key evicted would fail the checks
// rather than go unseen).
func configText(l *lab.Lab, d clusterDecl) string {
	var b strings.Builder
	fmt.Fprintf(&b, "variable \"redis_password\" {\n  sensitive = true\n}\n\n")
	fmt.Fprintf(&b, "cluster %q {\n  partitions = %d\n  hash       = \"jump\"\n  password   = var.redis_password\n\n", d.name, d.parts)
	fmt.Fprintf(&b, "  redis {\n    maxmemory        = \"1gb\"\n    maxmemory-policy = \"noeviction\"\n    save             = \"\"\n    appendonly       = \"no\"\n  }\n}\n\n")
	seen := map[string]bool{}
	for _, n := range append(append([]nodeDecl(nil), d.nodes...), d.status) {
		if seen[n.host] {
			continue
		}
		seen[n.host] = true
		h := l.Host(n.host)
		fmt.Fprintf(&b, "host %q {\n  address = %q\n  service = \"process\"\n\n  ssh {\n    user          = \"root\"\n    port          = %d\n    identity_file = %q\n    known_hosts   = %q\n  }\n}\n\n",
			h.Name, h.Address, h.Port, l.IdentityFile, l.KnownHosts)
	}
	for p, n := range d.nodes {
		fmt.Fprintf(&b, "node %q {\n  host      = %q\n  port      = %d\n  partition = %d\n}\n\n", n.name, n.host, n.port, p)
	}
	fmt.Fprintf(&b, "status %q {\n  host = %q\n  port = %d\n}\n", d.status.name, d.status.host, d.status.port)
	return b.String()
}

// benchCluster is a running cluster with its status published.
type benchCluster struct {
	name    string
	dir     string // holds roma.hcl
	spec    *cluster.Spec
	hash    hash.Func
	masters []*redis.Client // partition -> its master, in the partition's database
	addrs   []string        // partition -> its master's address
}

// setupCluster writes d's roma.hcl, starts its nodes (plantest.Bootstrap,
// as apply does a fresh cluster) and publishes its status at epoch 1, as
// romad's alpha does.
func setupCluster(ctx context.Context, l *lab.Lab, work string, d clusterDecl) (*benchCluster, error) {
	c := &benchCluster{name: d.name, dir: filepath.Join(work, d.name)}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(c.dir, "roma.hcl"), []byte(configText(l, d)), 0o644); err != nil {
		return nil, err
	}
	cfg, diags := hclspec.Load(c.dir, hclspec.Options{Vars: []string{"redis_password=" + password}})
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s/roma.hcl: %s", c.dir, diags.Error())
	}
	c.spec = cfg.Spec
	var err error
	if c.hash, err = hash.New(c.spec.Hash); err != nil {
		return nil, err
	}
	if err := plantest.Bootstrap(ctx, c.spec); err != nil {
		return nil, fmt.Errorf("cluster %s: %w", d.name, err)
	}
	st := clienttest.Status(c.spec, 1, nil)
	if err := clienttest.Publish(ctx, c.spec, st); err != nil {
		return nil, fmt.Errorf("cluster %s: %w", d.name, err)
	}
	for p := range c.spec.Partitions {
		m := st.Master(p)
		n, ok := c.spec.Node(m)
		if !ok {
			c.close()
			return nil, fmt.Errorf("cluster %s: partition %d: master %q is not declared", d.name, p, m)
		}
		addr := c.spec.Addr(n.Host, n.Port)
		c.addrs = append(c.addrs, addr)
		c.masters = append(c.masters, newRedis(addr, n.Database))
	}
	for p, m := range c.masters {
		if err := m.Ping(ctx).Err(); err != nil {
			c.close()
			return nil, fmt.Errorf("cluster %s: master of partition %d (%s): %w", d.name, p, c.addrs[p], err)
		}
	}
	return c, nil
}

// newRedis is a go-redis client as every side uses them: the options the
// roma client gives its own connections to nodes, the same timeouts.
func newRedis(addr string, db int) *redis.Client { return redis.NewClient(redisOptions(addr, db)) }

func redisOptions(addr string, db int) *redis.Options {
	return &redis.Options{
		Addr: addr, Password: password, DB: db, Protocol: 2, DisableIdentity: true,
		MaxRetries: -1, DialerRetries: 1, DialTimeout: 3 * time.Second,
		ReadTimeout: timeout, WriteTimeout: timeout,
	}
}

// newClient is a roma client of c, with the same timeouts.
func (c *benchCluster) newClient(ctx context.Context) (*client.Client, error) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return client.NewFromSpec(cctx, c.spec, client.Options{ReadTimeout: timeout, WriteTimeout: timeout})
}

// partition is key's partition, by the cluster's hash function.
func (c *benchCluster) partition(key string) int {
	p, err := c.hash.Partition([]byte(key), len(c.masters))
	if err != nil {
		panic(err) // jump fails only for n < 1
	}
	return p
}

// flush empties every master (FLUSHDB in the partition's database) and
// checks that it is empty.
func (c *benchCluster) flush(ctx context.Context) error {
	for p, m := range c.masters {
		if err := m.FlushDB(ctx).Err(); err != nil {
			return fmt.Errorf("FLUSHDB on %s: %w", c.addrs[p], err)
		}
	}
	counts, err := c.dbsizes(ctx)
	if err != nil {
		return err
	}
	for p, n := range counts {
		if n != 0 {
			return fmt.Errorf("%s holds %d keys after FLUSHDB", c.addrs[p], n)
		}
	}
	return nil
}

// dbsizes returns each master's key count.
func (c *benchCluster) dbsizes(ctx context.Context) ([]int64, error) {
	out := make([]int64, len(c.masters))
	for p, m := range c.masters {
		n, err := m.DBSize(ctx).Result()
		if err != nil {
			return nil, fmt.Errorf("DBSIZE on %s: %w", c.addrs[p], err)
		}
		out[p] = n
	}
	return out, nil
}

func (c *benchCluster) close() {
	for _, m := range c.masters {
		m.Close()
	}
}
