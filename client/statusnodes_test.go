package client

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/redisconn/redistest"
	"github.com/roma-redis/roma/status"
)

// testPassword is the password of the redis-servers the tests outside the
// lab start.
const testPassword = "client-test-password"

// masterAt is a partition's master in masterStatus: a node name and its
// address.
type masterAt struct{ name, addr string }

// masterStatus is an OK status of cluster at epoch whose partition i has
// masters[i] as its master, and no replica.
func masterStatus(cluster string, epoch int64, masters ...masterAt) *status.Status {
	st := &status.Status{Version: status.SchemaVersion, Cluster: cluster, State: status.OK, Epoch: epoch, Alpha: "test",
		Updated: time.Now(), Hash: "jump", Nodes: map[string]status.NodeState{}}
	for p, m := range masters {
		st.Partitions = append(st.Partitions, status.Partition{Master: m.name})
		st.Nodes[m.name] = status.NodeState{Addr: m.addr, Partition: p, Role: "master", State: status.NodeUp}
	}
	return st
}

// publish writes st to the status nodes to, as romad's alpha does.
func publish(t testing.TB, st *status.Status, to ...*redistest.Server) {
	t.Helper()
	for _, s := range to {
		c := redis.NewClient(&redis.Options{Addr: s.Addr, Password: testPassword})
		err := status.Write(context.Background(), c, st)
		c.Close()
		if err != nil {
			t.Fatalf("writing status epoch %d to %s: %v", st.Epoch, s.Addr, err)
		}
	}
}

// startServers starts n redis-servers with testPassword.
func startServers(t testing.TB, n int) []*redistest.Server {
	t.Helper()
	var out []*redistest.Server
	for range n {
		out = append(out, redistest.Start(t, testPassword))
	}
	return out
}

// addrsOf returns the addresses of servers.
func addrsOf(servers []*redistest.Server) []string {
	var out []string
	for _, s := range servers {
		out = append(out, s.Addr)
	}
	return out
}
