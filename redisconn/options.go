package redisconn

import (
	"time"

	"github.com/redis/go-redis/v9"
)

// bufferSize is each connection's read and write buffer. go-redis's
// defaults (32 KiB, and 128 KiB for pipelines) cost more to allocate and
// clear than an INFO reply takes to read, on every node of a plan.
const bufferSize = 16 << 10

// Options returns the options of a connection pool of size poolSize to
// the node at addr, with password (none when empty), that dials, reads and
// writes within timeout.
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
		PipelinePoolSize:        -1, // pipelines share the pool: one connection does
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
