package romad

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/providers/alert"
	"github.com/roma-redis/roma/status"
)

// TestStatusQuorumLost: the status nodes stop answering (here the only
// one, of real redis-servers). Clients then treat the cluster as HALT,
// and no romad can be alpha, so the alpha's alerts stop too. romad must
// not go on serving the last status it read, OK, as if nothing were
// wrong: /status, /status.html and /metrics say HALT and why, and romad,
// alpha or not, sends its own alert once down_for has passed.
func TestStatusQuorumLost(t *testing.T) {
	p := newPair(t, "sq", "status-quorum-test-password", "1s")
	hookURL, received := alertHook(t)
	p.spec.Alerts = []cluster.Alert{{Kind: "webhook", URL: hookURL, DownFor: time.Second}}
	get := serve(t, p.spec)

	p.waitStatus(t, "OK under n1", func(s *status.Status) bool { return s.State == status.OK && s.Partitions[0].Master == "n1" })
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(get("/status"), `"state": "OK"`); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("romad does not serve the OK status: %s", get("/status"))
		}
	}
	if m := get("/metrics"); !strings.Contains(m, "\nroma_status_quorum 1\n") || !strings.Contains(m, `roma_cluster_state{state="OK"} 1`) {
		t.Fatalf("metrics before the status node goes: %s", grepRoma(m))
	}

	p.st.Kill(t)
	problem := "only 0 of 1 status nodes answer this romad (s1 down): clients that cannot read a majority of them treat the cluster as HALT, and no romad can be alpha to fail a master over"
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		m := get("/metrics")
		if strings.Contains(m, "\nroma_status_quorum 0\n") && strings.Contains(m, `roma_cluster_state{state="HALT"} 1`) && strings.Contains(m, `roma_cluster_state{state="OK"} 0`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics 10s after the only status node went: %s", grepRoma(m))
		}
	}
	var served struct {
		State   string                      `json:"state"`
		Problem string                      `json:"problem"`
		Nodes   map[string]status.NodeState `json:"nodes"`
	}
	if err := json.Unmarshal([]byte(get("/status")), &served); err != nil {
		t.Fatal(err)
	}
	if served.State != status.Halt || served.Problem != problem || served.Nodes["s1"].State != status.NodeDown || served.Nodes["n1"].State != status.NodeUp {
		t.Errorf("/status with no status node answering: state %s, problem %q, s1 %s, n1 %s; want HALT, %q, s1 down, n1 up",
			served.State, served.Problem, served.Nodes["s1"].State, served.Nodes["n1"].State, problem)
	}
	if page := get("/status.html"); !strings.Contains(page, "HALT") || !strings.Contains(page, "only 0 of 1 status nodes answer this romad") {
		t.Errorf("/status.html says neither HALT nor why:\n%s", page)
	}

	got := waitAlerts(received)
	if len(got) != 1 || got[0].Kind != alert.KindNoQuorum || got[0].Subject != "[roma sq] HALT for clients: 0 of 1 status nodes answer romad on h" {
		t.Fatalf("alerts within 15s of the status node's loss: %+v; want one %s", got, alert.KindNoQuorum)
	}
	time.Sleep(2 * time.Second)
	if got := received(); len(got) != 1 {
		t.Errorf("%d alerts for one incident: %+v", len(got), got)
	}
}

// grepRoma returns the roma_ lines of a metrics page.
func grepRoma(page string) string {
	var out []string
	for _, l := range strings.Split(page, "\n") {
		if strings.HasPrefix(l, "roma_") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// serve runs a romad of spec (startRomad) until the test ends, and
// returns a GET of its HTTP handler: the body at path.
func serve(t *testing.T, spec *cluster.Spec) (get func(path string) string) {
	t.Helper()
	d, _ := startRomad(t, spec)
	h := d.handler()
	return func(path string) string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Body.String()
	}
}

// TestMemoryMetrics: /metrics gives each node's used memory and, when it
// has one, its maxmemory, read from the nodes (real redis-servers).
func TestMemoryMetrics(t *testing.T) {
	p := newPair(t, "mem", "memory-metrics-test-password", "1s")
	c := redis.NewClient(&redis.Options{Addr: p.n1.Addr, Password: "memory-metrics-test-password"})
	defer c.Close()
	if err := c.ConfigSet(context.Background(), "maxmemory", "64mb").Err(); err != nil {
		t.Fatal(err)
	}
	get := serve(t, p.spec)
	used := regexp.MustCompile(`\nroma_node_memory_used_bytes\{node="n1"\} ([0-9.e+]+)\n`)
	var m string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		m = get("/metrics")
		if used.MatchString(m) || time.Now().After(deadline) {
			break
		}
	}
	if sm := used.FindStringSubmatch(m); sm == nil {
		t.Errorf("no used memory for n1 within 10s:\n%s", grepRoma(m))
	} else if v, err := strconv.ParseFloat(sm[1], 64); err != nil || v < 100_000 {
		t.Errorf("n1's used memory: %s, want a redis-server's (over 100 kB)", sm[1])
	}
	if !strings.Contains(m, "\nroma_node_maxmemory_bytes{node=\"n1\"} 6.7108864e+07\n") {
		t.Errorf("no maxmemory of 64 MiB for n1:\n%s", grepRoma(m))
	}
	if strings.Contains(m, `roma_node_maxmemory_bytes{node="n2"}`) {
		t.Errorf("a maxmemory for n2, which has none:\n%s", grepRoma(m))
	}
}
