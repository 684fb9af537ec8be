package plan_test

import (
	"context"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/plan"
	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/redisconn/redistest"
)

// TestPortTaken: something that is not a Redis node roma can ask listens
// at a node's address (a silent program, one that answers another
// protocol, a redis-server paused), and no process of the node's runs.
// The plan said "will be created" (or "start it"), and apply then failed
// on Redis's "Address already in use". It refuses, naming the address
// and what the connection got, for a new node and for a stopped one. With
// nothing there, the node is created or started.
func TestPortTaken(t *testing.T) {
	const pw = "taken-test-password"
	ctx := context.Background()
	paused := redistest.Start(t, "")
	t.Cleanup(paused.Pause(t)) // resumed before its own cleanup stops it
	for _, tc := range []struct {
		name string
		port int
		said string // what the refusal quotes of the connection; "" for no refusal
	}{
		{"silent", serve(t, ""), "i/o timeout"},
		{"answers HTTP", serve(t, "HTTP/1.1 400 Bad Request\r\n\r\n"), `"HTTP/1.1 400 Bad Request"`},
		{"a redis-server paused, started by hand", paused.Port, "i/o timeout"},
		{"nothing listens", redistest.FreePort(t), ""},
		{"out of reach (the dial times out)", unreachablePort(t), ""},
	} {
		for _, created := range []bool{true, false} {
			what := "stopped"
			if created {
				what = "new"
			}
			t.Run(tc.name+", "+what, func(t *testing.T) {
				spec := localSpec(t, t.TempDir(), pw, tc.port, "")
				h, _ := spec.Host("h")
				if created {
					if err := os.Remove(cluster.LayoutOf(h).Conf("n0")); err != nil {
						t.Fatal(err)
					}
				}
				st := plan.Observer{Dial: plantest.Dial, Timeout: 2 * time.Second}.Observe(ctx, spec)
				p := plan.Diff(spec, st, plan.Options{})
				got := plantest.Refusals(p, "node.n0")
				addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(tc.port))
				if tc.said == "" {
					if len(got) > 0 {
						t.Errorf("refusals of node.n0 with nothing at %s: %q", addr, got)
					}
					r := plantest.Find(p, "node.n0")
					want := plan.Repair
					if created {
						want = plan.Create
					}
					if r == nil || r.Action != want {
						t.Errorf("node.n0: %+v, want %s", r, want)
					}
					return
				}
				head := addr + ", where n0 is to run, is taken by something roma did not start for it, which does not answer as a Redis node (roma's connection got: "
				tail := "): n0 would not start there. Give n0 a free port, or stop what listens at " + addr + " on h"
				if len(got) != 1 || !strings.HasPrefix(got[0], head) || !strings.HasSuffix(got[0], tail) || !strings.Contains(got[0], tc.said) {
					t.Fatalf("refusals of node.n0: %q\nwant one: %q…%q…%q", got, head, tc.said, tail)
				}
				if strings.Contains(got[0], pw) {
					t.Errorf("the refusal shows the password: %q", got[0])
				}
			})
		}
	}
}

// serve listens on a free port of 127.0.0.1, writes reply to each
// connection and holds it open until the test ends, and returns the port.
func serve(t *testing.T, reply string) (port int) {
	t.Helper()
	return portOf(t, redistest.Listen(t, func(c net.Conn) { c.Write([]byte(reply)) }))
}

// TestPortTakenWhereANodeMoves: a running node whose port changes in
// roma.hcl to one something else listens on (silent, or a Redis with
// another password) is refused: apply would have stopped it (a master
// handing over first) and failed to start it at its new port. Moved to a
// free port, it is planned as a move.
func TestPortTakenWhereANodeMoves(t *testing.T) {
	const pw = "moves-test-password"
	ctx := context.Background()
	other := redistest.Start(t, "another-password")
	for _, tc := range []struct {
		name string
		port int
		said string // what the refusal quotes; "" for none
	}{
		{"silent", serve(t, ""), "i/o timeout"},
		{"a Redis with another password", other.Port, "WRONGPASS"},
		{"nothing listens", redistest.FreePort(t), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, root := startLocal(t, pw)
			h, _ := localSpec(t, root, pw, s.Port, "").Host("h") // n0's conf file, at the port it runs on
			conf := cluster.LayoutOf(h).Conf("n0")
			running, err := os.ReadFile(conf)
			if err != nil {
				t.Fatal(err)
			}
			spec := localSpec(t, root, pw, tc.port, "")
			if err := os.WriteFile(conf, running, 0o600); err != nil {
				t.Fatal(err)
			}
			p := plan.Diff(spec, plan.Observer{Dial: plantest.Dial, Timeout: 2 * time.Second}.Observe(ctx, spec), plan.Options{})
			got := plantest.Refusals(p, "node.n0")
			addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(tc.port))
			if tc.said == "" {
				if len(got) > 0 {
					t.Errorf("refusals of node.n0, moving to %s where nothing listens: %q", addr, got)
				}
				r := plantest.Find(p, "node.n0")
				if r == nil || !slices.ContainsFunc(r.Changes, func(c plan.Change) bool { return c.Attr == "port" && c.New == strconv.Itoa(tc.port) }) {
					t.Errorf("node.n0: %+v, want its port changed to %d", r, tc.port)
				}
				return
			}
			head := addr + ", where n0 is to run, is taken by something roma did not start for it, which does not answer as a Redis node (roma's connection got: "
			if len(got) != 1 || !strings.HasPrefix(got[0], head) || !strings.Contains(got[0], tc.said) {
				t.Fatalf("refusals of node.n0: %q\nwant one: %q…%q…", got, head, tc.said)
			}
		})
	}
}

// unreachablePort is the port of redistest.Unreachable.
func unreachablePort(t *testing.T) int { return portOf(t, redistest.Unreachable(t)) }

// portOf returns the port of addr, host:port.
func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
