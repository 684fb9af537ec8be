package redisconf

import "sort"

// restartOnly lists directives Redis refuses to change with CONFIG SET
// ("can't set immutable config" or "can't set protected config"), and the
// file-only directives CONFIG GET does not show: changing any of them needs
// a restart.
var restartOnly = names(
	"aclfile", "always-show-logo", "aof_rewrite_cpulist", "appenddirname", "appendfilename",
	"bgsave_cpulist", "bio_cpulist", "cluster-config-file", "cluster-enabled", "cluster-port",
	"daemonize", "databases", "dbfilename", "dir", "disable-thp", "enable-debug-command",
	"enable-module-command", "enable-protected-configs", "io-threads", "io-threads-do-reads",
	"logfile", "pidfile", "rdbchecksum", "replicaof", "server_cpulist", "set-proc-title", "slaveof",
	"socket-mark-id", "supervised", "syslog-enabled", "syslog-facility", "syslog-ident",
	"tcp-backlog", "unixsocket", "unixsocketperm",
	// file-only directives
	"include", "rename-command", "loadmodule", "user",
)

// runtime lists directives CONFIG SET changes on a running server.
var runtime = names(
	"acl-pubsub-default", "acllog-max-len", "active-defrag-cycle-max", "active-defrag-cycle-min",
	"active-defrag-ignore-bytes", "active-defrag-max-scan-fields", "active-defrag-threshold-lower",
	"active-defrag-threshold-upper", "active-expire-effort", "activedefrag", "activerehashing",
	"aof-disable-auto-gc", "aof-load-truncated", "aof-rewrite-incremental-fsync", "aof-timestamp-enabled",
	"aof-use-rdb-preamble", "appendfsync", "appendonly", "auto-aof-rewrite-min-size",
	"auto-aof-rewrite-percentage", "bind", "bind-source-addr", "busy-reply-threshold",
	"client-output-buffer-limit", "client-query-buffer-limit", "cluster-allow-pubsubshard-when-down",
	"cluster-allow-reads-when-down", "cluster-allow-replica-migration", "cluster-announce-bus-port",
	"cluster-announce-hostname", "cluster-announce-ip", "cluster-announce-port",
	"cluster-announce-tls-port", "cluster-link-sendbuf-limit", "cluster-migration-barrier",
	"cluster-node-timeout", "cluster-preferred-endpoint-type", "cluster-replica-no-failover",
	"cluster-replica-validity-factor", "cluster-require-full-coverage", "cluster-slave-no-failover",
	"cluster-slave-validity-factor", "crash-log-enabled", "crash-memcheck-enabled", "dynamic-hz",
	"hash-max-listpack-entries", "hash-max-listpack-value", "hash-max-ziplist-entries",
	"hash-max-ziplist-value", "hll-sparse-max-bytes", "hz", "ignore-warnings", "jemalloc-bg-thread",
	"latency-monitor-threshold", "latency-tracking", "latency-tracking-info-percentiles",
	"lazyfree-lazy-eviction", "lazyfree-lazy-expire", "lazyfree-lazy-server-del",
	"lazyfree-lazy-user-del", "lazyfree-lazy-user-flush", "lfu-decay-time", "lfu-log-factor",
	"list-compress-depth", "list-max-listpack-size", "list-max-ziplist-size", "loglevel",
	"lua-time-limit", "masterauth", "masteruser", "maxclients", "maxmemory", "maxmemory-clients",
	"maxmemory-eviction-tenacity", "maxmemory-policy", "maxmemory-samples", "min-replicas-max-lag",
	"min-replicas-to-write", "min-slaves-max-lag", "min-slaves-to-write", "no-appendfsync-on-rewrite",
	"notify-keyspace-events", "oom-score-adj", "oom-score-adj-values", "port", "proc-title-template",
	"propagation-error-behavior", "protected-mode", "proto-max-bulk-len", "rdb-del-sync-files",
	"rdb-save-incremental-fsync", "rdbcompression", "repl-backlog-size", "repl-backlog-ttl",
	"repl-disable-tcp-nodelay", "repl-diskless-load", "repl-diskless-sync", "repl-diskless-sync-delay",
	"repl-diskless-sync-max-replicas", "repl-ping-replica-period", "repl-ping-slave-period",
	"repl-timeout", "replica-announce-ip", "replica-announce-port", "replica-announced",
	"replica-ignore-disk-write-errors", "replica-ignore-maxmemory", "replica-lazy-flush",
	"replica-priority", "replica-read-only", "replica-serve-stale-data", "requirepass",
	"sanitize-dump-payload", "save", "set-max-intset-entries", "shutdown-on-sigint",
	"shutdown-on-sigterm", "shutdown-timeout", "slave-announce-ip", "slave-announce-port",
	"slave-ignore-maxmemory", "slave-lazy-flush", "slave-priority", "slave-read-only",
	"slave-serve-stale-data", "slowlog-log-slower-than", "slowlog-max-len",
	"stop-writes-on-bgsave-error", "stream-node-max-bytes", "stream-node-max-entries",
	"tcp-keepalive", "timeout", "tls-auth-clients", "tls-ca-cert-dir", "tls-ca-cert-file",
	"tls-cert-file", "tls-ciphers", "tls-ciphersuites", "tls-client-cert-file", "tls-client-key-file",
	"tls-client-key-file-pass", "tls-cluster", "tls-dh-params-file", "tls-key-file",
	"tls-key-file-pass", "tls-port", "tls-prefer-server-ciphers", "tls-protocols", "tls-replication",
	"tls-session-cache-size", "tls-session-cache-timeout", "tls-session-caching",
	"tracking-table-max-keys", "zset-max-listpack-entries", "zset-max-listpack-value",
	"zset-max-ziplist-entries", "zset-max-ziplist-value",
)

// managed lists the directives roma sets itself in every rendered file. A
// roma.hcl that sets one gets an error saying what to use instead.
var managed = map[string]string{
	"port":                  `the node's "port" attribute`,
	"bind":                  `the host's "address" attribute`,
	"dir":                   `the host's "root" attribute (data lives in root/data/<node>)`,
	"dbfilename":            "roma's fixed dump.rdb, which backup and restore rely on",
	"daemonize":             `the host's "service" attribute`,
	"supervised":            `the host's "service" attribute`,
	"pidfile":               "root/run/<node>.pid, which roma manages",
	"logfile":               "root/log/<node>.log, which roma manages",
	"replicaof":             "romad and apply, which own replication (it is never in a rendered file)",
	"slaveof":               "romad and apply, which own replication (it is never in a rendered file)",
	"replica-announce-ip":   `the host's "address" attribute: replicas announce it, and roma and romad find them by it`,
	"slave-announce-ip":     `the host's "address" attribute: replicas announce it, and roma and romad find them by it`,
	"replica-announce-port": `the node's "port" attribute: replicas announce it, and roma and romad find them by it`,
	"slave-announce-port":   `the node's "port" attribute: replicas announce it, and roma and romad find them by it`,
	"requirepass":           `the cluster's "password" attribute`,
	"masterauth":            `the cluster's "password" attribute`,
	"include":               "per-node redis blocks",
	"protected-mode":        "roma's binding to the host's declared address",
	"unixsocket":            "nothing: roma nodes listen only on the host's declared address",
	"unixsocketperm":        "nothing: roma nodes listen only on the host's declared address",
	"cluster-enabled":       "nothing: roma partitions keys itself; Redis Cluster mode cannot be mixed in",
	"aclfile":               `"user" lines in a redis block: roma gives the default user the cluster password, in redis.conf during a rotation, and Redis refuses to start with users in redis.conf and an ACL file both (an ACL file's default user would also override the cluster password at every restart)`,
}

func names(list ...string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, n := range list {
		m[n] = true
	}
	return m
}

// Known reports whether name is a redis.conf directive.
func Known(name string) bool { return runtime[name] || restartOnly[name] }

// Managed reports whether roma sets the directive itself, and if so what a
// user should set instead.
func Managed(name string) (instead string, ok bool) {
	instead, ok = managed[name]
	return instead, ok
}

// Runtime reports whether a running Redis accepts a change of the
// directive through CONFIG SET, with no restart.
func Runtime(name string) bool { return runtime[name] }

// MultiValued reports whether the directive may appear on several lines.
func MultiValued(name string) bool {
	switch name {
	case "save", "rename-command", "client-output-buffer-limit", "loadmodule", "user", "include":
		return true
	}
	return false
}

// All returns every known directive name, sorted.
func All() []string {
	out := make([]string, 0, len(runtime)+len(restartOnly))
	for n := range runtime {
		out = append(out, n)
	}
	for n := range restartOnly {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
