package status_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/redisconn/redistest"
	"github.com/roma-redis/roma/status"
)

// voteNodes starts three status nodes (real redis-servers) and gives a
// client of each, by address.
func voteNodes(t *testing.T) ([]*redistest.Server, map[string]*redis.Client) {
	t.Helper()
	var servers []*redistest.Server
	clients := map[string]*redis.Client{}
	for range 3 {
		s := redistest.Start(t, "")
		servers = append(servers, s)
		c := redisconn.New(s.Addr, "", 10*time.Second, 2)
		t.Cleanup(func() { c.Close() })
		clients[s.Addr] = c
	}
	return servers, clients
}

// yes and contested are a vote's rules in these tests: a yes is an
// answer true.
func yes(a status.Answer[bool]) bool { return a.Err == nil && a.Val }

var contested = status.ContestedBy(yes)

// TestVoteLateNode: three real status nodes, one hung (stopped). When the
// two that answer settle a vote (both yes, or both no), Vote returns at
// once; when they split it, so that the hung node would decide, Vote
// returns once that node is late (status.LateAfter and twice the others'
// time), not after the read's timeout: the grants a split claim holds
// meanwhile block every rival claim. Gather, as a read of a quorum, waits
// the timeout for the hung node.
func TestVoteLateNode(t *testing.T) {
	ctx := context.Background()
	servers, clients := voteNodes(t)
	servers[2].Pause(t)
	const timeout = 5 * time.Second
	for _, tc := range []struct {
		name  string
		votes map[string]bool // the answering nodes' votes
		want  int             // yes votes
	}{
		{"both yes", map[string]bool{servers[0].Addr: true, servers[1].Addr: true}, 2},
		{"both no", map[string]bool{servers[0].Addr: false, servers[1].Addr: false}, 0},
		{"split", map[string]bool{servers[0].Addr: true, servers[1].Addr: false}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			read := func(ctx context.Context, c *redis.Client) (bool, error) {
				if err := c.Ping(ctx).Err(); err != nil {
					return false, err
				}
				return tc.votes[c.Options().Addr], nil
			}
			start := time.Now()
			as := status.Vote(ctx, clients, timeout, read, status.SettledBy(len(clients), yes), contested)
			took := time.Since(start)
			if took > timeout/2 {
				t.Errorf("Vote took %s: it waited for the hung status node", took.Round(time.Millisecond))
			}
			if len(as) != 2 || status.Count(as, yes) != tc.want {
				t.Errorf("Vote: %d answers, %d yes; want the 2 live nodes' answers, %d yes", len(as), status.Count(as, yes), tc.want)
			}
			t.Logf("Vote returned after %s", took.Round(time.Millisecond))
		})
	}
	// Gather, given the same split, waits for the hung node's timeout.
	read := func(ctx context.Context, c *redis.Client) (bool, error) {
		err := c.Ping(ctx).Err()
		return err == nil && c.Options().Addr == servers[0].Addr, err
	}
	start := time.Now()
	status.Gather(ctx, clients, time.Second, read, status.SettledBy(len(clients), yes), 0)
	if took := time.Since(start); took < 900*time.Millisecond {
		t.Errorf("Gather returned after %s with the vote split and the deciding node hung; want its timeout, 1s", took)
	}
}

// TestVoteWaitsUncontested: a vote the last node decides, with no node
// refusing it, waits for that node however much slower it is than the
// others, up to the read's timeout: three real status nodes, one down
// (it answers at once, with an error), one slow (stopped for 400ms), one
// yes; and two nodes, one slow. Giving up on the slow node after twice
// the others' time would fail every claim that needs a distant or loaded
// status node, an alpha's renewal among them.
func TestVoteWaitsUncontested(t *testing.T) {
	ctx := context.Background()
	servers, clients := voteNodes(t)
	servers[0].Kill(t)
	read := func(ctx context.Context, c *redis.Client) (bool, error) {
		err := c.Ping(ctx).Err()
		return err == nil, err
	}
	two := map[string]*redis.Client{servers[1].Addr: clients[servers[1].Addr], servers[2].Addr: clients[servers[2].Addr]}
	for name, cs := range map[string]map[string]*redis.Client{"three, one down": clients, "two": two} {
		t.Run(name, func(t *testing.T) {
			resume := servers[2].Pause(t)
			time.AfterFunc(400*time.Millisecond, resume)
			start := time.Now()
			as := status.Vote(ctx, cs, 5*time.Second, read, status.SettledBy(len(cs), yes), contested)
			took := time.Since(start)
			if status.Count(as, yes) != 2 {
				t.Errorf("Vote after %s: %d yes of %d answers; want 2 yes, the slow node's among them", took.Round(time.Millisecond), status.Count(as, yes), len(as))
			}
			if took < 350*time.Millisecond {
				t.Errorf("Vote returned after %s, before the slow node could answer", took)
			}
		})
	}
}
