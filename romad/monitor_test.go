package romad

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconn/redistest"
)

// TestNodeClientRotation: during a password rotation romad reaches a node
// that has only the previous password, and one that has only the new;
// with neither, it gets the server's refusal, never an empty reply. Its
// connections come from the host's declared address.
func TestNodeClientRotation(t *testing.T) {
	oldNode := redistest.Start(t, "the-old-password")
	newNode := redistest.Start(t, "the-new-password")
	pw := cluster.NewSecret("the-new-password").WithPrevious(cluster.NewSecret("the-old-password"))
	ctx := context.Background()
	for _, addr := range []string{oldNode.Addr, newNode.Addr} {
		c := newNodeClient(addr, "127.0.0.2", pw, time.Second)
		if err := c.Ping(ctx).Err(); err != nil {
			t.Errorf("romad to %s during a rotation: %v", addr, err)
		}
		name, err := c.Do(ctx, "CLIENT", "INFO").Text()
		if err != nil || !strings.Contains(name, "addr=127.0.0.2:") {
			t.Errorf("CLIENT INFO on %s: %q, %v; want a connection from 127.0.0.2 (the host address)", addr, name, err)
		}
		c.Close()
	}
	c := newNodeClient(oldNode.Addr, "127.0.0.1", cluster.NewSecret("the-new-password").WithPrevious(cluster.NewSecret("not-this-one")), time.Second)
	defer c.Close()
	if err := c.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
		t.Errorf("romad with neither password: %v, want WRONGPASS", err)
	}
}
