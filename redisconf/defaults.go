package redisconf

// Watched lists settings a plan checks on every node even when roma.hcl
// leaves them out, with the value Redis 7 starts with when redis.conf does
// not set them. A CONFIG SET of one of these by hand is drift. The list is
// kept to settings whose default does not depend on the machine (maxclients,
// for one, follows the open-file limit).
var Watched = map[string]string{
	"maxmemory":                   "0",
	"maxmemory-policy":            "noeviction",
	"appendonly":                  "no",
	"appendfsync":                 "everysec",
	"save":                        "3600 1 300 100 60 10000",
	"timeout":                     "0",
	"tcp-keepalive":               "300",
	"databases":                   "16",
	"min-replicas-to-write":       "0",
	"replica-read-only":           "yes",
	"replica-serve-stale-data":    "yes",
	"repl-backlog-size":           "1048576",
	"notify-keyspace-events":      "",
	"hz":                          "10",
	"maxmemory-samples":           "5",
	"lazyfree-lazy-eviction":      "no",
	"stop-writes-on-bgsave-error": "yes",
}
