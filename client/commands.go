package client

import (
	"strings"

	"github.com/roma-redis/roma/redisconf"
)

// cmdInfo says how one command's arguments are laid out and how the client
// treats it. Arity follows Redis: N means exactly N arguments counting the
// command name, -N at least N.
type cmdInfo struct {
	name  string // lower case, as in the table
	arity int
	keys  keyFinder // nil: the command has no keys
	key1  bool      // its one key is its first argument (keys is k1)
	flags cmdFlag
	why   string // refused commands: why, one line
	// guard, when set, refuses some uses of a command that roma otherwise
	// sends: those that would take the cluster out of roma's hands.
	guard func(args []any) error
}

type cmdFlag uint16

const (
	readOnly     cmdFlag = 1 << iota // may be served by a replica
	splitOrdered                     // MGET: one reply per key, merged in key order
	splitSum                         // DEL, EXISTS...: integer replies, summed
	splitPairs                       // MSET: key value pairs; OK when every part is OK
	keyless                          // runs on any node: only on every partition
	refused                          // never sent through the client
	txControl                        // MULTI, EXEC, DISCARD, WATCH, UNWATCH
)

// commands is the routing table: every command the client can route, and
// the keyless and refused ones it knows. Key positions are those of Redis
// 7's COMMAND INFO; commands with movable keys have a finder of their own.
var commands = map[string]*cmdInfo{}

// Shorthand for the table below.
var (
	k1     = keyAt(1)
	k12    = keyRange(1, 2, 1)
	kAll   = keyRange(1, -1, 1)
	kPairs = keyRange(1, -1, 2)
	kButTm = keyRange(1, -2, 1) // BLPOP k1 k2 timeout
	kFrom2 = keyRange(2, -1, 1) // BITOP op dest k1 k2
)

func def(arity int, keys keyFinder, flags cmdFlag, names ...string) {
	for _, n := range names {
		if _, dup := commands[n]; dup {
			panic("client: command " + n + " defined twice")
		}
		commands[n] = &cmdInfo{name: n, arity: arity, keys: keys, flags: flags}
	}
}

// def1 defines commands whose one key is their first argument: routed
// without a finder.
func def1(arity int, flags cmdFlag, names ...string) {
	def(arity, k1, flags, names...)
	for _, n := range names {
		commands[n].key1 = true
	}
}

func refuse(why string, names ...string) {
	for _, n := range names {
		commands[n] = &cmdInfo{name: n, arity: -1, flags: refused, why: why}
	}
}

func init() {
	const ro = readOnly

	// Strings and generic single-key commands.
	def1(2, ro, "get", "strlen", "ttl", "pttl", "type", "dump", "expiretime", "pexpiretime",
		"llen", "scard", "smembers", "zcard", "hgetall", "hkeys", "hvals", "hlen", "xlen")
	def1(2, 0, "incr", "decr", "getdel", "persist")
	def1(3, ro, "getbit", "hget", "hexists", "hstrlen", "lindex", "sismember", "zscore", "zrank", "zrevrank")
	def1(3, 0, "incrby", "decrby", "incrbyfloat", "getset", "setnx", "append")
	def1(4, ro, "getrange", "substr", "lrange", "zcount", "zlexcount")
	def1(4, 0, "setex", "psetex", "setrange", "setbit", "hincrby", "hincrbyfloat", "hsetnx",
		"lrem", "lset", "ltrim", "zincrby", "zremrangebylex", "zremrangebyrank", "zremrangebyscore")
	def1(5, 0, "linsert")
	def1(-2, ro, "bitcount", "bitfield_ro", "hrandfield", "srandmember", "zrandmember", "geohash", "geopos")
	def1(-2, 0, "getex", "bitfield", "lpop", "rpop", "spop", "zpopmin", "zpopmax", "pfadd")
	def1(-3, ro, "bitpos", "hmget", "hscan", "lpos", "smismember", "sscan", "zmscore", "zscan", "xpending")
	def1(-3, 0, "set", "expire", "pexpire", "expireat", "pexpireat", "hdel", "lpush", "rpush",
		"lpushx", "rpushx", "sadd", "srem", "zrem", "xdel", "xsetid")
	def1(-4, ro, "geodist", "xrange", "xrevrange", "zrange", "zrangebylex", "zrangebyscore",
		"zrevrange", "zrevrangebylex", "zrevrangebyscore")
	def1(-4, 0, "hset", "hmset", "zadd", "restore", "xack", "xtrim")
	def1(-5, 0, "geoadd", "xadd")
	def1(-6, 0, "xclaim", "xautoclaim")
	def1(-5, ro, "georadiusbymember_ro")
	def1(-6, ro, "georadius_ro")
	def1(-7, ro, "geosearch")
	def(-6, keyAndStore(6), 0, "georadius")
	def(-5, keyAndStore(5), 0, "georadiusbymember")
	def(-2, sortKeys, 0, "sort")
	def(-2, sortKeys, ro, "sort_ro")
	// Hash field expiry (Redis 7.4 and later).
	def1(-6, 0, "hexpire", "hpexpire", "hexpireat", "hpexpireat")
	def1(-5, 0, "hpersist")
	def1(-5, ro, "httl", "hpttl", "hexpiretime", "hpexpiretime")
	def1(-5, 0, "hgetdel")
	def1(-5, 0, "hgetex")
	def1(-6, 0, "hsetex")

	// Multi-key commands split across partitions.
	def(-2, kAll, ro|splitOrdered, "mget")
	def(-2, kAll, splitSum, "del", "unlink")
	def(-2, kAll, ro|splitSum, "exists", "touch")
	def(-3, kPairs, splitPairs, "mset")

	// Multi-key commands whose keys must share a partition.
	def(-3, kPairs, 0, "msetnx")
	def(3, k12, 0, "rename", "renamenx", "rpoplpush")
	def(4, k12, 0, "smove", "brpoplpush")
	def(5, k12, 0, "lmove")
	def(6, k12, 0, "blmove")
	def(-3, k12, 0, "copy")
	def(-3, k12, ro, "lcs")
	def(-5, k12, 0, "zrangestore")
	def(-8, k12, 0, "geosearchstore")
	def(-2, kAll, ro, "sunion", "sinter", "sdiff", "pfcount")
	def(-3, kAll, 0, "sunionstore", "sinterstore", "sdiffstore")
	def(-2, kAll, 0, "pfmerge")
	def(-3, kButTm, 0, "blpop", "brpop", "bzpopmin", "bzpopmax")
	def(-4, kFrom2, 0, "bitop")
	def(-3, numKeys(1, 0), ro, "sintercard", "zunion", "zinter", "zdiff", "zintercard")
	def(-4, numKeys(1, 0), 0, "lmpop", "zmpop")
	def(-5, numKeys(2, 0), 0, "blmpop", "bzmpop")
	def(-4, numKeys(2, 1), 0, "zunionstore", "zinterstore", "zdiffstore")
	def(-3, numKeys(2, 0), 0, "eval", "evalsha", "fcall")
	def(-3, numKeys(2, 0), ro, "eval_ro", "evalsha_ro", "fcall_ro")
	def(-4, streamKeys, ro, "xread")
	def(-7, streamKeys, 0, "xreadgroup")

	// Subcommands whose second argument is a key.
	def(-2, subKey("encoding", "freq", "idletime", "refcount"), ro, "object")
	def(-2, subKey("usage"), ro, "memory")
	def(-2, subKey("stream", "groups", "consumers"), ro, "xinfo")
	def(-2, subKey("create", "createconsumer", "delconsumer", "destroy", "setid"), 0, "xgroup")

	// Keyless: they run on a node, not on a key's partition.
	def(-1, nil, keyless, "ping", "info", "bgsave", "flushall", "flushdb", "command", "lolwut")
	def(1, nil, keyless, "dbsize", "randomkey", "time", "lastsave", "bgrewriteaof", "role", "save")
	def(2, nil, keyless, "echo", "keys")
	def(3, nil, keyless, "wait")
	def(-2, nil, keyless, "scan", "config", "client", "slowlog", "latency", "script", "function",
		"debug", "acl", "module")

	// Transactions: the client's TxPipeline and Watch, and roma cli, run them.
	def(1, nil, txControl, "multi", "exec", "discard", "unwatch")
	def(-2, kAll, txControl, "watch")

	commands["config"].guard = guardConfig
	commands["acl"].guard = guardACL
	commands["copy"].guard = guardCopy

	refuse("roma selects each node's database itself", "select", "swapdb", "move")
	refuse("roma's failover owns replication", "replicaof", "slaveof", "failover", "sync", "psync", "replconf")
	refuse("roma authenticates with the cluster password", "auth", "hello")
	refuse("roma does not route Pub/Sub", "publish", "subscribe", "psubscribe", "unsubscribe",
		"punsubscribe", "pubsub", "spublish", "ssubscribe", "sunsubscribe")
	refuse("roma clusters are not Redis Cluster", "cluster", "readonly", "readwrite", "asking")
	refuse("it would move keys outside roma's partitions", "migrate", "restore-asking")
	refuse("use roma stop", "shutdown")
	refuse("it needs a connection of its own", "monitor", "quit", "reset")
}

// lookup returns the table entry of a command name, in any case.
func lookup(name string) *cmdInfo {
	if c, ok := commands[name]; ok {
		return c
	}
	return lookupLower(name)
}

// lookupLower looks name up in lower case, without allocating for the
// names the table can hold.
func lookupLower[S string | []byte](name S) *cmdInfo {
	var buf [32]byte
	if len(name) > len(buf) {
		return nil // longer than any command
	}
	b := buf[:len(name)]
	for i := range len(name) {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return commands[string(b)]
}

// Kind is how the client treats a command.
type Kind int

// Kinds of commands.
const (
	Unknown     Kind = iota // not in the routing table
	Keyed                   // routed by its keys
	Keyless                 // runs on every partition (roma cli --all)
	Transaction             // MULTI, EXEC, DISCARD, WATCH, UNWATCH
	Refused                 // never sent through roma
)

// KindOf returns how the client treats the command name (in any case).
func KindOf(name string) Kind {
	c := lookup(name)
	switch {
	case c == nil:
		return Unknown
	case c.flags&refused != 0:
		return Refused
	case c.flags&txControl != 0:
		return Transaction
	case c.keys == nil:
		return Keyless
	}
	return Keyed
}

// guardConfig refuses CONFIG SET of a directive roma sets itself (see
// redisconf.Managed): a new requirepass or masterauth locks roma, romad and
// the replicas out; a new port, bind or dir moves the node away from
// roma.hcl. Other settings may change at runtime: roma plan shows them as
// drift, and roma apply puts roma.hcl's back. CONFIG REWRITE is refused
// too: it rewrites the conf file roma renders, mode 0644 with the password
// in it.
func guardConfig(args []any) error {
	if len(args) >= 2 && strings.EqualFold(argString(args[1]), "rewrite") {
		return cmdErr("CONFIG", ErrRefused, "REWRITE is not allowed through roma, which writes each node's conf file from roma.hcl (a rewritten one is readable by all, password included): change roma.hcl and run roma apply")
	}
	if len(args) < 3 || !strings.EqualFold(argString(args[1]), "set") {
		return nil
	}
	for i := 2; i < len(args); i += 2 {
		name := strings.ToLower(argString(args[i]))
		if instead, ok := redisconf.Managed(name); ok {
			return cmdErr("CONFIG", ErrRefused, "SET %s is not allowed through roma, which sets it itself: use %s in roma.hcl", name, instead)
		}
	}
	return nil
}

// guardCopy refuses COPY into another database (its DB option): that
// database is outside roma's partitions, or another partition's when
// several share a server, where the key would sit in a partition its hash
// does not name.
func guardCopy(args []any) error {
	for _, a := range args[3:] {
		if strings.EqualFold(argString(a), "db") {
			return cmdErr("COPY", ErrRefused, "DB is not allowed through roma, which selects each node's database itself: copy within the key's own database")
		}
	}
	return nil
}

// guardACL refuses ACL SETUSER of the default user: its password is the
// cluster's, which roma, romad and the replicas log in with.
func guardACL(args []any) error {
	if len(args) >= 3 && strings.EqualFold(argString(args[1]), "setuser") && argString(args[2]) == "default" {
		return cmdErr("ACL", ErrRefused, `SETUSER default is not allowed through roma: roma, romad and the replicas log in as the default user, with the cluster's "password" attribute in roma.hcl`)
	}
	return nil
}
