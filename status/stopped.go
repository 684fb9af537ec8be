package status

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// StoppedKey is a hash, on the status nodes, of the nodes roma stop
// stopped on purpose: by node name, the record (JSON of Stopped). roma
// start and apply remove a node's record when they start it, and the
// alpha romad when it sees the node up again, however it came back. A
// record counts only for a node that is down: the alpha publishes it on
// the node (NodeState.Stopped), roma status shows it, and no alert is
// sent of the node. (The plan reads the records roma stop leaves on the
// hosts, which outlast the status nodes' own stop.)
func StoppedKey(c string) string { return "roma:" + c + ":stopped" }

// Stopped is who stopped a node on purpose, and when.
type Stopped struct {
	Command string    `json:"command"` // as run: "roma stop --host db2"
	Holder  string    `json:"holder"`  // who ran it: "ops@bastion pid 4242"
	Since   time.Time `json:"since"`
}

// String says it as the end of "node X was stopped ...".
func (s Stopped) String() string {
	return fmt.Sprintf("by %s at %s (%s)", s.Command, s.Since.UTC().Format("2006-01-02 15:04:05Z"), s.Holder)
}

// WriteStopped records rec for nodes on every status node of clients (by
// address) that answers. It returns the number that took it and the
// first error.
func WriteStopped(ctx context.Context, clients map[string]*redis.Client, cluster string, rec Stopped, nodes []string) (int, error) {
	if len(nodes) == 0 {
		return 0, nil
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return 0, err
	}
	fields := make([]any, 0, 2*len(nodes))
	for _, n := range nodes {
		fields = append(fields, n, string(b))
	}
	return onEach(ctx, clients, func(ctx context.Context, c *redis.Client) error {
		return c.HSet(ctx, StoppedKey(cluster), fields...).Err()
	})
}

// ClearStopped removes the records of nodes from every status node of
// clients that answers. It returns the number that answered and the
// first error.
func ClearStopped(ctx context.Context, clients map[string]*redis.Client, cluster string, nodes []string) (int, error) {
	if len(nodes) == 0 {
		return 0, nil
	}
	return onEach(ctx, clients, func(ctx context.Context, c *redis.Client) error {
		return c.HDel(ctx, StoppedKey(cluster), nodes...).Err()
	})
}

// MergeStopped adds the records of fields (a StoppedKey hash as read) to
// into, keeping each node's newest.
func MergeStopped(into map[string]Stopped, fields map[string]string) {
	for name, raw := range fields {
		var s Stopped
		if json.Unmarshal([]byte(raw), &s) != nil || s.Since.IsZero() {
			continue
		}
		if old, ok := into[name]; !ok || s.Since.After(old.Since) {
			into[name] = s
		}
	}
}

// onEach runs f on every status node of clients at once (Gather); it
// returns the number that succeeded and the first error.
func onEach(ctx context.Context, clients map[string]*redis.Client, f func(context.Context, *redis.Client) error) (int, error) {
	ok := 0
	var first error
	for _, a := range Gather(ctx, clients, 0, func(ctx context.Context, c *redis.Client) (struct{}, error) {
		return struct{}{}, f(ctx, c)
	}, nil, 0) {
		switch {
		case a.Err == nil:
			ok++
		case first == nil:
			first = fmt.Errorf("status node %s: %w", a.Addr, a.Err)
		}
	}
	return ok, first
}
