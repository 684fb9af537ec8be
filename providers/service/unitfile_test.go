package service

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/roma-redis/roma/cluster"
)

var update = flag.Bool("update", false, "rewrite the golden unit files in testdata")

func TestRenderUnit(t *testing.T) {
	l := cluster.Layout{Root: "/var/lib/roma"}
	tests := map[string]Unit{
		"redis.service": RedisUnit("shop", l, "db1-7000"),
		"romad.service": {
			Cluster:     "shop",
			Name:        "romad",
			Kind:        KindRomad,
			Argv:        []string{l.BinDir() + "/romad", "-config", l.EtcDir() + "/romad.hcl"},
			Dir:         l.Root,
			PidFile:     l.Pid("romad"),
			LogFile:     l.Log("romad"),
			User:        "roma",
			StopTimeout: 1500 * time.Millisecond,
		},
		"awkward.service": {
			Cluster: "café",
			Name:    "st1",
			Kind:    KindRedis,
			Argv:    []string{"/opt/redis 7/redis-server", "/srv/roma 100%/conf/st1.conf", "--rename", `a"b\c`, "$HOME", ""},
			Dir:     "/srv/roma 100%/data/st1",
			PidFile: "/srv/roma 100%/run/st1.pid",
		},
	}
	for name, u := range tests {
		t.Run(name, func(t *testing.T) {
			if err := u.check(); err != nil {
				t.Fatal(err)
			}
			got := RenderUnit(u)
			if diff := cmp.Diff(string(got), string(RenderUnit(u))); diff != "" {
				t.Fatalf("RenderUnit is not deterministic:\n%s", diff)
			}
			golden := filepath.Join("testdata", name)
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("RenderUnit differs from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

func TestUnitName(t *testing.T) {
	tests := map[string]struct {
		cluster, name, want string
	}{
		"node":       {"shop", "db1-7000", "roma-shop-db1-7000.service"},
		"romad":      {"shop", "romad", "roma-shop-romad.service"},
		"no cluster": {"", "db1-7000", "roma-db1-7000.service"},
		"underscore": {"my_shop", "db_1", "roma-my_shop-db_1.service"},
		"non-ascii":  {"café", "nœud", `roma-caf\xc3\xa9-n\xc5\x93ud.service`},
		"space":      {"shop", "a b", `roma-shop-a\x20b.service`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := UnitName(Unit{Cluster: tt.cluster, Name: tt.name}); got != tt.want {
				t.Errorf("UnitName = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestExecQuote(t *testing.T) {
	tests := map[string]struct{ arg, want string }{
		"plain":       {"/usr/bin/redis-server", "/usr/bin/redis-server"},
		"flag":        {"--supervised", "--supervised"},
		"assignment":  {"a=b,c:d", "a=b,c:d"},
		"empty":       {"", `""`},
		"space":       {"/srv/my roma", `"/srv/my roma"`},
		"percent":     {"100%", "100%%"},
		"dollar":      {"$HOME", "$$HOME"},
		"braces":      {"${HOME}", `"$${HOME}"`},
		"double":      {`a"b`, `"a\"b"`},
		"backslash":   {`a\b`, `"a\\b"`},
		"single":      {"it's", `"it's"`},
		"semicolon":   {";", `";"`},
		"tab":         {"a\tb", "\"a\tb\""},
		"all at once": {`50% "$x" \`, `"50%% \"$$x\" \\"`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := execQuote(tt.arg); got != tt.want {
				t.Errorf("execQuote(%q) = %s, want %s", tt.arg, got, tt.want)
			}
		})
	}
}

func TestTimeSpan(t *testing.T) {
	tests := map[time.Duration]string{
		time.Minute:             "60s",
		1500 * time.Millisecond: "1500ms",
		time.Microsecond:        "1ms",
	}
	for d, want := range tests {
		if got := timeSpan(d); got != want {
			t.Errorf("timeSpan(%v) = %q, want %q", d, got, want)
		}
	}
}
