package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"
)

// Sentinel errors; test for them with errors.Is.
var (
	// ErrHalt: the cluster is in HALT (some partition has no master), or
	// no majority of its status nodes answered, which a client must treat
	// as HALT. Retrying helps once romad has repaired the cluster.
	ErrHalt = errors.New("cluster is in HALT")
	// ErrNoMajority: no majority of the status nodes answered. Every
	// such error is also ErrHalt.
	ErrNoMajority = errors.New("no majority of status nodes answered")
	// ErrPassword: the status nodes refuse the client's password
	// (WRONGPASS, NOAUTH), so that no status could be read. Such an error
	// is also ErrNoMajority and ErrHalt; retrying cannot help until the
	// client has the cluster's password.
	ErrPassword = errors.New("status nodes refuse the password")
	// ErrCrossPartition: a command that cannot be split has keys in more
	// than one partition. Retrying cannot help; hash tags can.
	ErrCrossPartition = errors.New("keys in more than one partition")
	// ErrUnknownCommand: the command is not in the routing table, so
	// which of its arguments are keys is unknown.
	ErrUnknownCommand = errors.New("unknown command")
	// ErrNoKey: the command has no key to route by (DBSIZE, KEYS, PING,
	// EVAL with no keys...); run it on every partition instead.
	ErrNoKey = errors.New("no key to route by")
	// ErrArgs: the command has the wrong number of arguments, or its key
	// arguments are malformed.
	ErrArgs = errors.New("wrong number of arguments")
	// ErrRefused: the command must not go through roma (SELECT,
	// REPLICAOF, Pub/Sub...).
	ErrRefused = errors.New("command refused")
	// ErrClosed: the client was closed.
	ErrClosed = errors.New("client closed")
	// ErrNoReply: a node did not answer in time (ReadTimeout, or the
	// command's context); the error names the node.
	ErrNoReply = errors.New("no reply in time")
	// ErrUnreachable: no connection to a node could be made (refused, no
	// route, dial timeout), so the command did not run; the error names
	// the node.
	ErrUnreachable = errors.New("cannot reach")
	// ErrConnLost: the connection to a node broke (reset, closed) while
	// the command was out: it may or may not have run, so it is not
	// retried; the error names the node. A master that crashed does
	// this to the commands in flight.
	ErrConnLost = errors.New("connection lost")
	// ErrNoFailover: a command failed in a way a failover explains (its
	// master unreachable, READONLY...) and no newer status came in time
	// for a retry to help: within FailoverWait, or before the command's
	// context ended. It comes wrapped with the command's own error.
	ErrNoFailover = errors.New("no failover published")
	// ErrDeposed: a write ran on a master that romad failed over while
	// the command was out (the master paused, or cut off from romad, for
	// down_after): it took the write after its replicas had left it, so
	// the write is likely lost once romad makes it a replica of the new
	// master. It is not retried, since it did run; the error names the
	// node.
	ErrDeposed = errors.New("master failed over while the command ran")
)

// HaltError is returned for every command while the cluster is in HALT
// or no majority of its status nodes answers. It is ErrHalt, and also
// ErrNoMajority when that is the cause.
type HaltError struct {
	Cluster    string
	Epoch      int64  // of the status that said HALT; 0 when none was read
	Reason     string // one line: which partitions lack a master, or which status nodes failed
	NoMajority bool
	// Password: no status node answered, and those that gave a reason
	// refused the client's password (also NoMajority).
	Password bool
}

func (e *HaltError) Error() string {
	if e.Password {
		return fmt.Sprintf("cluster %q: %s", e.Cluster, e.Reason)
	}
	if e.NoMajority {
		return fmt.Sprintf("cluster %q: %s, so it is treated as HALT", e.Cluster, e.Reason)
	}
	return fmt.Sprintf("cluster %q is in HALT (epoch %d): %s", e.Cluster, e.Epoch, e.Reason)
}

// Is makes errors.Is(err, ErrHalt) hold, ErrNoMajority when no majority
// answered, and ErrPassword when the status nodes refused the password.
func (e *HaltError) Is(target error) bool {
	return target == ErrHalt || (e.NoMajority && target == ErrNoMajority) || (e.Password && target == ErrPassword)
}

// CommandError is a command the client refuses before sending it. Err is
// one of the sentinels above.
type CommandError struct {
	Command string // as given, e.g. "RENAME"
	Err     error
	Detail  string // one line, without the command name
}

func (e *CommandError) Error() string {
	if e.Err == ErrArgs && e.Detail == "" {
		return fmt.Sprintf("wrong number of arguments for '%s' command", strings.ToLower(e.Command))
	}
	return strings.ToUpper(e.Command) + ": " + e.Detail
}

func (e *CommandError) Unwrap() error { return e.Err }

func cmdErr(name string, sentinel error, format string, a ...any) error {
	return &CommandError{Command: name, Err: sentinel, Detail: fmt.Sprintf(format, a...)}
}

// redisError is an error reply built by the client (merging the replies
// of a split command), shaped like go-redis's own so that
// redis.HasErrorPrefix and friends work on it.
type redisError string

func (e redisError) Error() string { return string(e) }
func (redisError) RedisError()     {}

// nodeErr names node n (of partition p, when p >= 0) in cmd's error when
// the node is why cmd failed: it gave no reply in time (ErrNoReply), its
// connection broke under the command (ErrConnLost) (neither is retried,
// since the command may have run), or no connection to it could be made
// (ErrUnreachable).
func nodeErr(cmd redis.Cmder, n *node, p int) {
	if err := cmd.Err(); err != nil {
		if named := nodeError(err, n, p); named != err {
			cmd.SetErr(named)
		}
	}
}

// nodeError is nodeErr for an error.
func nodeError(err error, n *node, p int) error {
	if _, reply := err.(redis.Error); reply || err == nil || namesNode(err) {
		return err // an error reply (redis.Nil...) came from a node that answered
	}
	where := ""
	if p >= 0 {
		where = fmt.Sprintf(", partition %d", p)
	}
	var ne net.Error
	switch {
	case isDial(err):
		return fmt.Errorf("%w node %s (%s%s): %w", ErrUnreachable, n.Name, n.Addr, where, err)
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return fmt.Errorf("%w from node %s (%s%s): %w", ErrNoReply, n.Name, n.Addr, where, err)
	case connLost(err):
		return fmt.Errorf("%w to node %s (%s%s): %w", ErrConnLost, n.Name, n.Addr, where, err)
	}
	return err
}

// namesNode reports whether err already names its node and partition:
// nodeError made it.
func namesNode(err error) bool {
	return errors.Is(err, ErrNoReply) || errors.Is(err, ErrUnreachable) || errors.Is(err, ErrConnLost)
}

// connLost reports whether err is a connection that broke under a
// command: closed by the node (EOF), reset, or another read or write
// failure of the network.
func connLost(err error) bool {
	var op *net.OpError
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.As(err, &op) && (op.Op == "read" || op.Op == "write")
}

// InPartition prefixes err, from partition p, with the partition, unless
// it names its node and partition already (ErrNoReply, ErrUnreachable,
// ErrConnLost).
func InPartition(p int, err error) error {
	if namesNode(err) {
		return err
	}
	return fmt.Errorf("partition %d: %w", p, err)
}

// isDial reports whether err is a failure to connect.
func isDial(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// stillFailed adds why a retry after a failover could not help (werr,
// from awaitFailover) to cmd's error when cmd failed in that way again, or was
// not retried: its node still unreachable. An error reply (READONLY...)
// is left as the server sent it.
func stillFailed(cmd redis.Cmder, werr error) {
	if err := cmd.Err(); err != nil {
		if e := stillFailedErr(err, werr); e != err {
			cmd.SetErr(e)
		}
	}
}

// stillFailedErr is stillFailed for an error.
func stillFailedErr(err, werr error) error {
	var rerr redis.Error
	if werr == nil || !isFailover(err) || errors.As(err, &rerr) {
		return err
	}
	return fmt.Errorf("%w; %w", err, werr)
}
