package redisconf

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/roma-redis/roma/cluster"
)

func testSpec() *cluster.Spec {
	h := cluster.Host{Name: "db1", Address: "10.0.0.11", Root: "/var/lib/roma", Service: cluster.ServiceProcess}
	return &cluster.Spec{
		Name: "shop", Partitions: 4, Hash: "jump", Password: cluster.NewSecret("s3cret pass\"word"),
		Hosts: []cluster.Host{h},
		Nodes: []cluster.Node{{Name: "db1-7000", Host: "db1", Port: 7000, Partition: 2, Redis: cluster.Settings{
			"maxmemory": {Values: []string{"256mb"}},
			"save":      {Values: []string{"900 1", "300 10"}},
		}}},
		Status: []cluster.StatusNode{{Name: "st1", Host: "db1", Port: 7100}},
	}
}

func TestRender(t *testing.T) {
	s := testSpec()
	got := string(Render(s, DataTarget(s, s.Nodes[0])))
	lines := strings.Split(got, "\n")
	want := []string{
		"",
		"port 7000",
		"bind 10.0.0.11",
		"replica-announce-ip 10.0.0.11",
		"protected-mode yes",
		"daemonize yes",
		"supervised no",
		"pidfile /var/lib/roma/run/db1-7000.pid",
		"logfile /var/lib/roma/log/db1-7000.log",
		"dir /var/lib/roma/data/db1-7000",
		"dbfilename dump.rdb",
		`requirepass "s3cret pass\"word"`,
		`masterauth "s3cret pass\"word"`,
		"",
		"# Settings from roma.hcl (and roma's defaults for what it leaves out).",
		"maxmemory 256mb",
		"repl-diskless-sync-delay 3",
		"save 900 1",
		"save 300 10",
		"",
	}
	if diff := cmp.Diff(want, lines[3:]); diff != "" {
		t.Errorf("Render body (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(got, HeaderMarker) {
		t.Errorf("no header: %q", lines[0])
	}
	if strings.Contains(got, "replicaof") || strings.Contains(got, "slaveof") {
		t.Error("a rendered file must never hold replicaof")
	}
	if again := string(Render(s, DataTarget(s, s.Nodes[0]))); again != got {
		t.Error("Render is not deterministic")
	}
	m, ok := ParseMeta([]byte(got))
	wantMeta := Meta{Cluster: "shop", Kind: KindData, Node: "db1-7000", Partition: 2, Partitions: 4, Hash: "jump", Sum: m.Sum}
	if !ok || !cmp.Equal(m, wantMeta) || len(m.Sum) != 16 {
		t.Errorf("ParseMeta = %+v, %v; want %+v", m, ok, wantMeta)
	}
	if Edited([]byte(got)) {
		t.Error("a fresh file reads as edited")
	}
	if !Edited([]byte(got + "maxclients 10\n")) {
		t.Error("an appended line does not read as edited")
	}
	st := string(Render(s, StatusTarget(s, s.Status[0])))
	for _, l := range []string{"appendonly yes", "appendfsync always", `save ""`, "port 7100"} {
		if !strings.Contains(st, "\n"+l+"\n") {
			t.Errorf("status node file lacks %q:\n%s", l, st)
		}
	}
}

func TestSame(t *testing.T) {
	tests := []struct {
		name     string
		declared []string
		live     string
		want     bool
	}{
		{"maxmemory", []string{"256mb"}, "268435456", true},
		{"maxmemory", []string{"1m"}, "1000000", true},
		{"maxmemory", []string{"1mb"}, "1000000", false},
		{"maxmemory", []string{"1GB"}, "1073741824", true},
		{"appendonly", []string{"yes"}, "yes", true},
		{"appendonly", []string{"true"}, "yes", true},
		{"maxmemory-policy", []string{"ALLKEYS-LRU"}, "allkeys-lru", true},
		{"save", []string{"900 1", "300  10"}, "900 1 300 10", true},
		{"save", []string{""}, "", true},
		{"save", []string{"900 1"}, "900 1 300 10", false},
		{"client-output-buffer-limit", []string{"replica 256mb 64mb 60"}, "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", true},
		{"client-output-buffer-limit", []string{"pubsub 1mb 1mb 60"}, "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", false},
		{"notify-keyspace-events", []string{"KEA"}, "AKE", true},
		{"notify-keyspace-events", []string{"Ex"}, "xE", true},
		{"notify-keyspace-events", []string{"Ex"}, "xK", false},
		{"dir", []string{"/var/lib/Roma"}, "/var/lib/roma", false},
	}
	for _, tt := range tests {
		if got := Same(tt.name, tt.declared, tt.live); got != tt.want {
			t.Errorf("Same(%s, %q, %q) = %v, want %v", tt.name, tt.declared, tt.live, got, tt.want)
		}
	}
}

func TestFileAddr(t *testing.T) {
	s := testSpec()
	v6 := testSpec()
	v6.Hosts[0].Address = "fd00::11"
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"data node", Render(s, DataTarget(s, s.Nodes[0])), "10.0.0.11:7000"},
		{"status node", Render(s, StatusTarget(s, s.Status[0])), "10.0.0.11:7100"},
		{"IPv6", Render(v6, DataTarget(v6, v6.Nodes[0])), "[fd00::11]:7000"},
		{"several bind addresses: the first", []byte("bind 10.0.0.1 10.0.0.2\nport 7000\n"), "10.0.0.1:7000"},
		{"no port", []byte("bind 10.0.0.1\n"), ""},
		{"no bind", []byte("port 7000\n"), ""},
		{"empty", nil, ""},
	} {
		if got := FileAddr(tc.data); got != tc.want {
			t.Errorf("%s: FileAddr = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestRenderArguments: a multi-argument value is read as redis.conf reads
// arguments (quotes, escapes), written so, and read back by Parse as it
// was declared.
func TestRenderArguments(t *testing.T) {
	tests := map[string]struct {
		name       string
		values     []string
		lines      []string
		parsedBack []string
	}{
		"rename to nothing and to a name": {"rename-command", []string{`FLUSHALL ""`, `KEYS 'hidden-keys'`},
			[]string{`rename-command FLUSHALL ""`, `rename-command KEYS hidden-keys`}, []string{`FLUSHALL ""`, `KEYS hidden-keys`}},
		"save off":    {"save", []string{""}, []string{`save ""`}, []string{""}},
		"save points": {"save", []string{"900 1", "300  10"}, []string{"save 900 1", "save 300 10"}, []string{"900 1", "300 10"}},
		"a quoted argument with a space": {"user", []string{`app on ">two words" ~* +@read`},
			[]string{`user app on ">two words" ~* +@read`}, []string{`app on ">two words" ~* +@read`}},
		"one argument, spaces kept": {"notify-keyspace-events", []string{"K E x"}, []string{`notify-keyspace-events "K E x"`}, []string{"K E x"}},
		"escapes":                   {"rename-command", []string{`DEBUG "dbg\x21\"x"`}, []string{`rename-command DEBUG "dbg!\"x"`}, []string{`DEBUG "dbg!\"x"`}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			writeDirective(&b, tc.name, tc.values)
			if d := cmp.Diff(tc.lines, strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")); d != "" {
				t.Errorf("lines (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.parsedBack, Parse(b.Bytes())[tc.name]); d != "" {
				t.Errorf("Parse (-want +got):\n%s", d)
			}
		})
	}
}
