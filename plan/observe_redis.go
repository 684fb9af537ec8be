package plan

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconf"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/redisinfo"
)

// comparedSettings lists the directives CONFIG GET reads on every node:
// everything the spec declares anywhere, the managed ones, and the watched
// defaults.
func comparedSettings(spec *cluster.Spec) []string {
	set := map[string]bool{}
	for k := range redisconf.Watched {
		set[k] = true
	}
	for _, k := range []string{"port", "bind", "dir", "dbfilename", "pidfile", "logfile", "daemonize",
		"supervised", "protected-mode", "requirepass", "masterauth", "appendonly", "appendfsync", "appenddirname", "appendfilename"} {
		set[k] = true
	}
	for k := range spec.Redis {
		set[k] = true
	}
	for _, t := range targets(spec) {
		for k := range redisconf.Desired(spec, t) {
			set[k] = true
		}
	}
	for _, n := range spec.Nodes {
		for k := range n.Redis {
			set[k] = true
		}
	}
	var out []string
	for k := range set {
		if redisconf.Known(k) && !fileOnly(k) {
			out = append(out, k)
		}
	}
	return out
}

// fileOnly directives are not shown by CONFIG GET.
func fileOnly(k string) bool {
	switch k {
	case "include", "rename-command", "loadmodule", "user":
		return true
	}
	return false
}

// newClient returns a client of addr with password, or previous when
// the node refuses password (a rotation under way).
func newClient(addr, password, previous string, timeout time.Duration) *redis.Client {
	return redisconn.NewClient(redisconn.WithPrevious(redisconn.Options(addr, password, timeout, 1), previous))
}

// observeNode asks one Redis node, over one connection and one pipelined
// round trip, for its PING, INFO, ROLE and CONFIG GET. It tries the cluster
// password first and, when the server has no password, none.
func observeNode(ctx context.Context, spec *cluster.Spec, names []string, name, addr string) *NodeState {
	ns := &NodeState{Name: name, Addr: addr}
	timeout := 3 * time.Second
	if dl, ok := ctx.Deadline(); ok && time.Until(dl)*3/4 < timeout {
		// The connection's deadlines come before the context's: a read
		// that timed out says that something listens there (Listened),
		// where a context that ran out says nothing.
		timeout = time.Until(dl) * 3 / 4
	}
	pw := spec.Password.Reveal()
	err := queryNode(ctx, spec, names, ns, newClient(addr, pw, spec.Password.Previous().Reveal(), timeout))
	if err != nil && pw != "" && isNoPassword(err) {
		// The server has no password at all: drift, but still observable.
		ns.AuthError = true
		err = queryNode(ctx, spec, names, ns, newClient(addr, "", "", timeout))
	} else if err != nil && redisconn.RefusesPassword(err) {
		ns.AuthError = true
	}
	if err != nil {
		ns.Err = fmt.Sprintf("node %s at %s: %s", name, addr, spec.Password.Redact(err.Error()))
		ns.Listened = redisconn.Connected(err)
		return ns
	}
	ns.Reachable = true
	return ns
}

func isNoPassword(err error) bool {
	s := err.Error()
	return strings.Contains(s, "without any password configured") || strings.Contains(s, "no password is set")
}

func queryNode(ctx context.Context, spec *cluster.Spec, names []string, ns *NodeState, c *redis.Client) error {
	defer c.Close()
	pipe := c.Pipeline()
	ping := pipe.Ping(ctx)
	info := pipe.Info(ctx, "server", "replication", "persistence", "keyspace", "memory")
	role := pipe.Do(ctx, "ROLE")
	cfg := pipe.Do(ctx, append([]any{"CONFIG", "GET"}, toAny(names)...)...)
	acl := pipe.Do(ctx, "ACL", "GETUSER", "default")
	var status *redis.MapStringStringCmd
	for _, s := range spec.Status {
		if s.Name == ns.Name {
			status = pipe.HGetAll(ctx, "roma:"+spec.Name+":status")
		}
	}
	_, _ = pipe.Exec(ctx) // a failed connection fails every command (redisconn)
	// A node loading its dataset (at start, or from its master) refuses
	// PING with LOADING, and answers INFO, ROLE, CONFIG and ACL: it runs,
	// and a restart would only start its load over.
	if err := ping.Err(); err != nil && !redis.IsLoadingError(err) {
		return err
	}
	if err := info.Err(); err != nil {
		return err
	}
	parseInfo(ns, info.Val(), spec, ns.Name)
	if v, err := role.Slice(); err == nil && len(v) > 0 {
		if r, ok := v[0].(string); ok {
			ns.Role = r
		}
	}
	ns.Config = map[string]string{}
	if err := cfg.Err(); err == nil {
		ns.Config = pairs(cfg.Val())
	} else {
		// Redis before 7 takes one name per CONFIG GET.
		for _, n := range names {
			if v, err := c.ConfigGet(ctx, n).Result(); err == nil {
				for k, val := range v {
					ns.Config[k] = val
				}
			}
		}
	}
	if status != nil {
		if v, err := status.Result(); err == nil && len(v) > 0 {
			ns.StatusRecord = v
		}
	}
	if v, err := acl.Result(); err == nil {
		ns.Passwords = passwordsOf(v, spec.Password)
	}
	return nil
}

// passwordsOf reads an ACL GETUSER reply (field names and values, an
// array or a RESP3 map) as what the user accepts of pw and its previous
// value. It returns nil for a reply it cannot read.
func passwordsOf(reply any, pw cluster.Secret) *Passwords {
	f := fields(reply)
	hashes, ok := f["passwords"].([]any)
	flags, ok2 := f["flags"].([]any)
	if !ok || !ok2 {
		return nil
	}
	p := &Passwords{}
	for _, f := range flags {
		if f == "nopass" {
			p.None = true
		}
	}
	cur, prev := "", ""
	if pw.IsSet() {
		cur = redisconf.PasswordHash(pw.Reveal())
	}
	if pw.Previous().IsSet() {
		prev = redisconf.PasswordHash(pw.Previous().Reveal())
	}
	for _, h := range hashes {
		switch h {
		case cur:
			p.Current = true
		case prev:
			p.Previous = true
		default:
			p.Others++
		}
	}
	return p
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// fields reads a reply of names and values (a flat array, or a map under
// RESP3), such as CONFIG GET's or ACL GETUSER's.
func fields(v any) map[string]any {
	out := map[string]any{}
	switch r := v.(type) {
	case []any:
		for i := 0; i+1 < len(r); i += 2 {
			k, _ := r[i].(string)
			out[k] = r[i+1]
		}
	case map[any]any:
		for k, val := range r {
			ks, _ := k.(string)
			out[ks] = val
		}
	}
	return out
}

// pairs is fields of a reply whose values are strings (CONFIG GET's).
func pairs(v any) map[string]string {
	out := map[string]string{}
	for k, val := range fields(v) {
		out[k], _ = val.(string)
	}
	return out
}

// parseInfo fills ns from an INFO reply.
func parseInfo(ns *NodeState, reply string, spec *cluster.Spec, name string) {
	info := redisinfo.Parse(reply)
	ns.Version = info["redis_version"]
	ns.RunID = info["run_id"]
	ns.ConfigFile = info["config_file"]
	ns.Uptime = info.Int("uptime_in_seconds")
	ns.Role = info["role"]
	ns.Loading = info["loading"] == "1" || info["async_loading"] == "1"
	ns.LoadedPerc, _ = strconv.ParseFloat(info["loading_loaded_perc"], 64)
	ns.MasterAddr = info.MasterAddr()
	ns.LinkUp = info.Replica() && info.LinkUp()
	ns.Offset = info.Offset()
	ns.Replicas = info.Replicas()
	db := 0
	if n, ok := spec.Node(name); ok {
		db = n.Database
	}
	ns.Keys = info.Keys(db)
	ns.UsedMemory = info.Int("used_memory")
	ns.Databases = info.Databases()
}
