package redisconn

import (
	"context"
	"net"
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

// New returns NewClient with Options.
func New(addr, password string, timeout time.Duration, poolSize int) *redis.Client {
	return NewClient(Options(addr, password, timeout, poolSize))
}

// NewClient returns a client with o whose pipelines give their error to
// every command when none has one of its own (see SetUnanswered), and
// that dials for every command while its node is down, so that it reaches
// the node as soon as it is back (see failOnUse).
func NewClient(o *redis.Options) *redis.Client {
	o.Dialer = failOnUse(o)
	c := redis.NewClient(o)
	c.AddHook(unansweredHook{})
	return c
}

// FromAddress has o's connections made from the local address source (a
// host's declared address, so that what a node sees is what that host
// sees). It leaves o as it is when source is not an IP address.
func FromAddress(o *redis.Options, source string) *redis.Options {
	ip := net.ParseIP(source)
	if ip == nil {
		return o
	}
	d := &net.Dialer{Timeout: o.DialTimeout, LocalAddr: &net.TCPAddr{IP: ip}}
	o.Dialer = d.DialContext
	return o
}

// SetUnanswered gives err to every one of cmds when none has an error of
// its own: the pipeline failed as a whole. go-redis leaves a pipeline's
// commands without reply and without error when their connection failed
// before they went out (AUTH refused on a new connection): a caller that
// looks at each command would take them for empty replies.
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

// unansweredHook applies SetUnanswered to every pipeline and transaction.
type unansweredHook struct{}

func (unansweredHook) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (unansweredHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (unansweredHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		if err != nil {
			SetUnanswered(cmds, err)
		}
		return err
	}
}
