package redisconn

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// bufferSize is each connection's read and write buffer. go-redis's
// defaults (32 KiB, and 128 KiB for pipelines) cost more to allocate and
// clear than an INFO reply takes to read, on every node of a plan.
const bufferSize = 16 << 10

// Options returns the options of a connection pool of size poolSize to
// the node at addr, with password (none when empty), that dials, reads and
// writes within timeout. Pipelines keep go-redis's pool of their own
// (connections made when needed): romad runs its status writes as
// pipelines beside other commands, and a shared pool of 2 made them wait
// for each other past their deadlines.
func Options(addr, password string, timeout time.Duration, poolSize int) *redis.Options {
	return &redis.Options{
		Addr:                    addr,
		Password:                password,
		Protocol:                2,
		DisableIdentity:         true,
		DialTimeout:             timeout,
		ReadTimeout:             timeout,
		WriteTimeout:            timeout,
		MaxRetries:              -1,
		DialerRetries:           1,
		PoolSize:                poolSize,
		ContextTimeoutEnabled:   true,
		ReadBufferSize:          bufferSize,
		WriteBufferSize:         bufferSize,
		PipelineReadBufferSize:  bufferSize,
		PipelineWriteBufferSize: bufferSize,
	}
}

// New returns a client with Options.
func New(addr, password string, timeout time.Duration, poolSize int) *redis.Client {
	return redis.NewClient(Options(addr, password, timeout, poolSize))
}

// Exec runs pipe and returns Exec's error, after giving that error to
// every command when none has one of its own. go-redis leaves a
// pipeline's commands without reply and without error when their
// connection failed before they went out (AUTH refused on a new
// connection): a caller that looks at each command would take them for
// empty replies.
func Exec(ctx context.Context, pipe redis.Pipeliner) error {
	cmds, err := pipe.Exec(ctx)
	if err != nil {
		SetUnanswered(cmds, err)
	}
	return err
}

// SetUnanswered gives err to every one of cmds when none has an error of
// its own: the pipeline failed as a whole (see Exec).
func SetUnanswered(cmds []redis.Cmder, err error) {
	for _, c := range cmds {
		if c.Err() != nil {
			return
		}
	}
	for _, c := range cmds {
		c.SetErr(err)
	}
}
