package redisconf

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// valueKind is the form of a directive's value, for the directives whose
// values CheckValue knows.
type valueKind int

const (
	memoryValue valueKind = iota + 1 // bytes: 1048576, 64mb, 2GB
	boolValue                        // yes or no
)

// valueForms and enums are the directives CheckValue checks: the common
// ones whose values Redis 7 parses strictly. Others pass unchecked.
var valueForms = map[string]valueKind{
	"maxmemory":                 memoryValue,
	"repl-backlog-size":         memoryValue,
	"client-query-buffer-limit": memoryValue,
	"proto-max-bulk-len":        memoryValue,
	"auto-aof-rewrite-min-size": memoryValue,
	"stream-node-max-bytes":     memoryValue,

	"appendonly":                  boolValue,
	"aof-use-rdb-preamble":        boolValue,
	"aof-load-truncated":          boolValue,
	"no-appendfsync-on-rewrite":   boolValue,
	"replica-read-only":           boolValue,
	"replica-serve-stale-data":    boolValue,
	"replica-lazy-flush":          boolValue,
	"repl-diskless-sync":          boolValue,
	"stop-writes-on-bgsave-error": boolValue,
	"rdbcompression":              boolValue,
	"lazyfree-lazy-eviction":      boolValue,
	"lazyfree-lazy-expire":        boolValue,
	"lazyfree-lazy-server-del":    boolValue,
	"lazyfree-lazy-user-del":      boolValue,
	"dynamic-hz":                  boolValue,
}

// enums are the words each enumerated directive takes.
var enums = map[string][]string{
	"maxmemory-policy":   {"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"},
	"appendfsync":        {"always", "everysec", "no"},
	"repl-diskless-load": {"disabled", "on-empty-db", "swapdb"},
	"loglevel":           {"debug", "verbose", "notice", "warning", "nothing"},
}

// memorySize is Redis's form of a size in bytes (memtoull): digits, then
// b, k, kb, m, mb, g or gb in any case. Redis also reads a unit alone
// ("mb") as 0; that is refused here as the typo it is.
var memorySize = regexp.MustCompile(`(?i)^[0-9]+(b|k|kb|m|mb|g|gb)?$`)

// CheckValue reports why value is not one Redis accepts for directive
// name, for the common directives whose form roma knows (sizes such as
// maxmemory, yes/no switches, maxmemory-policy and other enumerations);
// nil otherwise. It lets validate and plan refuse a typo that Redis would
// refuse at apply, by failing to start or failing CONFIG SET.
func CheckValue(name, value string) error {
	if multiArg(name) {
		return checkArgs(name, value)
	}
	switch valueForms[name] {
	case memoryValue:
		if !memorySize.MatchString(value) {
			return fmt.Errorf("must be a size in bytes: a whole number, optionally followed by k, kb, m, mb, g or gb (as in 64mb)")
		}
	case boolValue:
		if v := strings.ToLower(value); v != "yes" && v != "no" {
			return fmt.Errorf("must be yes or no (or an unquoted true or false)")
		}
	}
	if words, ok := enums[name]; ok && !slices.Contains(words, strings.ToLower(value)) {
		return fmt.Errorf("must be one of %s", strings.Join(words, ", "))
	}
	return nil
}

// romaCommands are the commands roma itself sends to data nodes, and
// Redis replication needs between them: to plan (INFO, CONFIG GET, ACL
// GETUSER), apply (CONFIG SET, ACL SETUSER, REPLICAOF, FAILOVER,
// SHUTDOWN), watch and fail over (INFO, ROLE, REPLICAOF), back up (PSYNC,
// REPLCONF, CLIENT PAUSE) and connect (AUTH, HELLO, SELECT, PING, CLIENT).
var romaCommands = names("acl", "auth", "client", "config", "failover", "hello", "info", "ping",
	"psync", "replconf", "replicaof", "role", "select", "shutdown", "slaveof", "sync")

// checkArgs checks the value of a directive that takes several arguments:
// they must split as redis.conf reads them; user must leave the default
// user to roma; rename-command must name a command and its new name, and
// leave alone the commands roma sends.
func checkArgs(name, value string) error {
	args, err := SplitArgs(value)
	if err != nil {
		return fmt.Errorf("cannot be read as redis.conf arguments: unbalanced quotes, or a closing quote not followed by a space")
	}
	if name == "user" && len(args) > 0 && args[0] == "default" {
		return fmt.Errorf("redefines the default user, whose password is the cluster's and which roma itself uses: declare another user")
	}
	if name != "rename-command" {
		return nil
	}
	if len(args) != 2 {
		return fmt.Errorf(`must be a command and its new name, as in "FLUSHALL \"\"" (the empty name turns the command off)`)
	}
	if cmd := strings.ToLower(args[0]); romaCommands[cmd] {
		return fmt.Errorf("renames %s, which roma sends to every node (to plan, apply, fail over and back up): leave it as it is",
			strings.ToUpper(cmd))
	}
	return nil
}
