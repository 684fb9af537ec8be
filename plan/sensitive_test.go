package plan

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/hclspec"
	"github.com/roma-redis/roma/redisconf"
)

// TestDroppedSensitiveSettingStaysHidden: a setting that came from a
// sensitive variable, then dropped from roma.hcl, is still in the node's
// conf file, whose header says it is sensitive: the plan's change hides
// its value, as does the digest of the file in a plan file. So does a
// user line with a password that a hand edit put in the file.
func TestDroppedSensitiveSettingStaysHidden(t *testing.T) {
	const secret = "flushall-secret-name"
	src := `
variable "renames" {
  sensitive = true
  default   = ["FLUSHALL ` + secret + `"]
}
cluster "c" {
  partitions = 1
  hash       = "jump"
  password   = "sensitive-test-pw"
  redis {
    rename-command = var.renames
  }
}
host "h" {
  address   = "127.0.0.1"
  transport = "local"
  root      = "/tmp/roma-sensitive-test"
  service   = "process"
}
node "a0" {
  host      = "h"
  port      = 7000
  partition = 0
}
`
	load := func(src string) *cluster.Spec {
		cfg, diags := hclspec.LoadSource([]byte(src), "roma.hcl", t.TempDir(), hclspec.Options{})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		return cfg.Spec
	}
	before := load(src)
	tg := redisconf.DataTarget(before, before.Nodes[0])
	conf := redisconf.Render(before, tg)
	if m, _ := redisconf.ParseMeta(conf); !m.FileSensitive("rename-command") || m.FileSensitive("maxmemory") {
		t.Fatalf("the header marks %q as sensitive, want rename-command alone", m.Sensitive)
	}
	// The hand edit: a user line (Edited: drift, shown as a change).
	conf = append(conf, "user app on >hand-added-pw ~* +@all\n"...)
	after := load(strings.Replace(src, "rename-command = var.renames", "", 1))

	st := &State{
		Hosts: map[string]*HostState{"h": {Name: "h", Reachable: true, Redis: "7.0.15",
			Files:    map[string]*FileState{"a0": {Path: cluster.LayoutOf(tg.Host).Conf("a0"), Mode: 0o600, Content: conf}},
			Services: map[string]*ServiceState{"a0": {Running: true}}}},
		Nodes: map[string]*NodeState{"a0": {Name: "a0", Addr: "127.0.0.1:7000", Reachable: true, Role: "master"}},
	}
	p := Diff(after, fromConf(after, st), Options{})
	got := map[string]Change{}
	for _, r := range p.Resources {
		if r.Address == "node.a0" {
			for _, c := range r.Changes {
				got[c.Attr] = c
			}
		}
	}
	if c, ok := got["rename-command"]; !ok || !c.Sensitive {
		t.Errorf("rename-command's change: %+v (found %v), want it sensitive", c, ok)
	}
	if c := got["user"]; c.Old != "app on >(sensitive) ~* +@all" {
		t.Errorf("user's change: %+v, want the old line with its password redacted", c)
	}
	var out bytes.Buffer
	if err := WriteHuman(&out, p, HumanOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{secret, "hand-added-pw"} {
		if strings.Contains(out.String(), s) {
			t.Errorf("the plan shows %q:\n%s", s, &out)
		}
	}
	if red := redactConf(conf, nil); bytes.Contains(red, []byte(secret)) || bytes.Contains(red, []byte("hand-added-pw")) {
		t.Errorf("redactConf keeps a secret:\n%s", red)
	}
}

func TestRedactSettings(t *testing.T) {
	set := cluster.Settings{
		"loadmodule": {Values: []string{"/opt/mod.so license-key-123 x"}, Sensitive: true},
		"maxmemory":  {Values: []string{"64mb"}},
	}
	err := redactSettings(errors.New("Module /opt/mod.so failed: bad license-key-123 (x) at 64mb"), set)
	if want := "Module (sensitive) failed: bad (sensitive) (x) at 64mb"; err.Error() != want {
		t.Errorf("redactSettings = %q, want %q", err, want)
	}
}

func TestRedactSettingsUserRule(t *testing.T) {
	set := cluster.Settings{"user": {Values: []string{"app on >app-secret-pw ~app:* +@bogus"}, Sensitive: true}}
	err := redactSettings(errors.New(`it refuses "user app on >(sensitive) ~app:* +@bogus": Error in applying operation '+@bogus'; app-secret-pw`), set)
	if want := `it refuses "user app on >(sensitive) ~app:* +@bogus": Error in applying operation '+@bogus'; (sensitive)`; err.Error() != want {
		t.Errorf("redactSettings = %q, want %q", err, want)
	}
}
