// Package redisinfo reads Redis's INFO reply: the field: value lines of
// its sections, the replication figures roma plans, applies, watches and
// backs up by, and the key counts of the db<N> keyspace lines.
package redisinfo
