package hclspec

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/roma-redis/roma/cluster"
)

const base = `
cluster "shop" {
  partitions = 2
  redis {
    maxmemory        = "256mb"
    maxmemory-policy = "allkeys-lru"
    appendonly       = true
    hz               = 10
  }
}

host "db1" {
  address = "10.0.0.11"
  ssh {
    user = "roma"
    port = 2222
  }
}

host "db2" {
  address = "10.0.0.12"
}

node "db1-7000" {
  host      = "db1"
  port      = 7000
  partition = 0
  redis {
    maxmemory = "1gb"
  }
}

node "db2-7000" {
  host      = "db2"
  port      = 7000
  partition = 1
  database  = 3
}
`

func settings(kv ...string) cluster.Settings {
	s := cluster.Settings{}
	for i := 0; i < len(kv); i += 2 {
		s[kv[i]] = cluster.Setting{Values: []string{kv[i+1]}}
	}
	return s
}

func TestLoadSpec(t *testing.T) {
	clusterRedis := settings("maxmemory", "256mb", "maxmemory-policy", "allkeys-lru", "appendonly", "yes", "hz", "10")
	tests := map[string]struct {
		src  string
		want *cluster.Spec
	}{
		"defaults and merged settings": {
			src: base,
			want: &cluster.Spec{
				Name: "shop", Partitions: 2, Hash: "jump", Redis: clusterRedis, Dir: "/cfg",
				Hosts: []cluster.Host{
					{Name: "db1", Address: "10.0.0.11", Transport: "ssh", Root: "/var/lib/roma", Service: "systemd", SSH: cluster.SSH{User: "roma", Port: 2222}},
					{Name: "db2", Address: "10.0.0.12", Transport: "ssh", Root: "/var/lib/roma", Service: "systemd"},
				},
				Nodes: []cluster.Node{
					{Name: "db1-7000", Host: "db1", Port: 7000, Partition: 0, Redis: settings("maxmemory", "1gb", "maxmemory-policy", "allkeys-lru", "appendonly", "yes", "hz", "10")},
					{Name: "db2-7000", Host: "db2", Port: 7000, Partition: 1, Database: 3, Redis: clusterRedis},
				},
			},
		},
		"services": {
			src: base + `
status "st1" {
  host = "db1"
  port = 7100
}
romad {
  hosts      = ["db1", "db2"]
  down_after = "2s"
}
backup {
  every = "6h"
  host  = "db2"
  dir   = "/var/backups/roma"
}
alert "email" {
  smtp     = "smtp.example.com:587"
  from     = "roma@example.com"
  to       = ["ops@example.com"]
  password = "mailpass"
  down_for = "90s"
}
alert "webhook" {
  url = "https://hooks.example.com/roma"
}
`,
			want: &cluster.Spec{
				Status: []cluster.StatusNode{{Name: "st1", Host: "db1", Port: 7100}},
				Romad:  &cluster.Romad{Hosts: []string{"db1", "db2"}, DownAfter: 2 * time.Second, HTTPPort: 9640},
				Backup: &cluster.Backup{Every: 6 * time.Hour, Keep: 14, Host: "db2", Dir: "/var/backups/roma"},
				Alerts: []cluster.Alert{
					{Kind: "email", SMTP: "smtp.example.com:587", From: "roma@example.com", To: []string{"ops@example.com"}, Password: cluster.NewSecret("mailpass"), DownFor: 90 * time.Second},
					{Kind: "webhook", URL: "https://hooks.example.com/roma", DownFor: 60 * time.Second},
				},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg, diags := LoadSource([]byte(tc.src), "roma.hcl", "/cfg", Options{})
			if diags.HasErrors() {
				t.Fatalf("Load: %v", diags)
			}
			got := cfg.Spec
			if name == "services" { // compare only what the case is about
				got = &cluster.Spec{Status: got.Status, Romad: got.Romad, Backup: got.Backup, Alerts: got.Alerts}
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("Spec (-want +got):\n%s", d)
			}
		})
	}
}

func TestPlacement(t *testing.T) {
	src := `
cluster "c" {
  partitions = 4
}
dynamic "host" {
  for_each = ["a", "b", "c"]
  labels   = [host.value]
  content {
    address = "10.0.0.${host.key + 1}"
  }
}
placement {
  hosts     = ["a", "b", "c"]
  replicas  = 2
  base_port = 7000
}
`
	cfg, diags := LoadSource([]byte(src), "roma.hcl", "/cfg", Options{})
	if diags.HasErrors() {
		t.Fatalf("Load: %v", diags)
	}
	var got []string
	for _, n := range cfg.Spec.Nodes {
		got = append(got, n.Name+"/p"+string(rune('0'+n.Partition)))
	}
	want := []string{
		"a-7000/p0", "b-7000/p0",
		"b-7001/p1", "c-7000/p1",
		"c-7001/p2", "a-7001/p2",
		"a-7002/p3", "b-7002/p3",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("placed nodes (-want +got):\n%s", d)
	}
	for p := 0; p < 4; p++ {
		nodes := cfg.Spec.PartitionNodes(p)
		if nodes[0].Host == nodes[1].Host {
			t.Errorf("partition %d has both nodes on %s", p, nodes[0].Host)
		}
	}
}

func TestVariablePrecedence(t *testing.T) {
	dir := t.TempDir()
	src := `
variable "mem" {
  default = "from-default"
}
variable "port" {
  type    = number
  default = 7000
}
cluster "c" {
  partitions = 1
  redis {
    syslog-ident = var.mem
  }
}
host "h" {
  address = "127.0.0.1"
}
node "n" {
  host      = "h"
  port      = var.port
  partition = 0
}
`
	vf := filepath.Join(dir, "a.vars")
	if err := os.WriteFile(vf, []byte("mem = \"from-file\"\nport = 7005\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		opts     Options
		wantMem  string
		wantPort int
	}{
		"default":          {Options{}, "from-default", 7000},
		"env over default": {Options{Environ: []string{"ROMA_VAR_mem=from-env", "ROMA_VAR_port=7001"}}, "from-env", 7001},
		"file over env":    {Options{Environ: []string{"ROMA_VAR_mem=from-env"}, VarFiles: []string{vf}}, "from-file", 7005},
		"-var over file":   {Options{VarFiles: []string{vf}, Vars: []string{"mem=from-flag", "port=7009"}}, "from-flag", 7009},
		"last -var wins":   {Options{Vars: []string{"mem=one", "mem=two"}}, "two", 7000},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg, diags := LoadSource([]byte(src), "roma.hcl", dir, tc.opts)
			if diags.HasErrors() {
				t.Fatalf("Load: %v", diags)
			}
			n := cfg.Spec.Nodes[0]
			got := struct {
				Mem  string
				Port int
			}{n.Redis["syslog-ident"].Values[0], n.Port}
			want := struct {
				Mem  string
				Port int
			}{tc.wantMem, tc.wantPort}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestVariableErrors(t *testing.T) {
	src := `
variable "v" {}
cluster "c" {
  partitions = 1
}
host "h" {
  address = "127.0.0.1"
}
node "n" {
  host      = "h"
  port      = 7000
  partition = 0
}
`
	tests := map[string]struct {
		opts Options
		want string
	}{
		"unreadable var file": {Options{Vars: []string{"v=x"}, VarFiles: []string{"/nonexistent/roma.vars"}}, "Cannot read variables file"},
		"undeclared -var":     {Options{Vars: []string{"v=x", "w=y"}}, "Value for undeclared variable"},
		"malformed -var":      {Options{Vars: []string{"v=x", "novalue"}}, "Invalid -var option"},
		"unset":               {Options{}, "No value for required variable"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, diags := LoadSource([]byte(src), "roma.hcl", "/cfg", tc.opts)
			var summaries []string
			for _, d := range diags {
				if d.Severity == 1 { // hcl.DiagError
					summaries = append(summaries, d.Summary)
				}
			}
			if d := cmp.Diff([]string{tc.want}, summaries); d != "" {
				t.Errorf("errors (-want +got):\n%s", d)
			}
		})
	}
}

func TestFunctions(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mem.txt"), []byte("512mb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := `
cluster "c" {
  partitions = 1
  redis {
    maxmemory        = chomp(file("mem.txt"))
    maxmemory-policy = env("ROMA_TEST_POLICY", "noeviction")
    loglevel         = upper(env("ROMA_TEST_LEVEL")) == "DEBUG" ? "debug" : "notice"
  }
}
host "h" {
  address   = "127.0.0.1"
  transport = "local"
  root      = "run"
}
node "n" {
  host      = "h"
  port      = 7000
  partition = 0
}
`
	cfg, diags := LoadSource([]byte(src), "roma.hcl", dir, Options{Environ: []string{"ROMA_TEST_LEVEL=debug"}})
	if diags.HasErrors() {
		t.Fatalf("Load: %v", diags)
	}
	want := settings("maxmemory", "512mb", "maxmemory-policy", "noeviction", "loglevel", "debug")
	if d := cmp.Diff(want, cfg.Spec.Redis); d != "" {
		t.Errorf("settings (-want +got):\n%s", d)
	}
	if got, want := cfg.Spec.Hosts[0].Root, filepath.Join(dir, "run"); got != want {
		t.Errorf("local root = %q, want %q (relative to the config dir)", got, want)
	}
	_, diags = LoadSource([]byte(strings.Replace(src, `env("ROMA_TEST_LEVEL")`, `env("ROMA_UNSET_VAR")`, 1)), "roma.hcl", dir, Options{})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "ROMA_UNSET_VAR") {
		t.Errorf("env() of an unset variable: want an error naming it, got %v", diags)
	}
}

// TestSensitiveNeverInDiagnostics puts a sensitive value where it causes
// errors and checks that no diagnostic, printed or JSON, shows it.
func TestSensitiveNeverInDiagnostics(t *testing.T) {
	const secret = "s3cr3t-Value-77"
	src := `
variable "pw" {
  sensitive = true
}
cluster "c" {
  partitions = 1
  password   = var.pw
  redis {
    syslog-ident = var.pw
    maxmemory    = var.pw # not a size: its error must not show the value
  }
}
host "h" {
  address = var.pw
  root    = "/x/${var.pw}/y"
}
node "n" {
  host      = "h${var.pw}"
  port      = 7000
  partition = 0
}
alert "webhook" {
  url = "ftp://${var.pw}"
}
status "st" {
  host = "h"
  port = "${var.pw}"
}
`
	for _, opts := range []Options{
		{Vars: []string{"pw=" + secret}},
		{Environ: []string{"ROMA_VAR_pw=" + secret}},
	} {
		cfg, diags := LoadSource([]byte(src), "roma.hcl", "/cfg", opts)
		if !diags.HasErrors() {
			t.Fatal("want errors")
		}
		var sb strings.Builder
		cfg.WriteDiagnostics(&sb, diags, false)
		for _, d := range cfg.JSONDiagnostics(diags) {
			sb.WriteString(d.Summary + d.Detail)
		}
		sb.WriteString(diags.Error())
		out := sb.String()
		// The source lines quote "var.pw", never its value.
		if strings.Contains(out, secret) {
			t.Errorf("diagnostics show the secret:\n%s", out)
		}
		if !strings.Contains(out, cluster.Redacted) {
			t.Errorf("diagnostics should say %s where the value was:\n%s", cluster.Redacted, out)
		}
		if got := cfg.Spec.Password.Reveal(); got != secret {
			t.Errorf("password = %q, want the variable's value", got)
		}
		if !cfg.Spec.Redis["syslog-ident"].Sensitive {
			t.Error("a setting from a sensitive variable must be marked Sensitive")
		}
	}
}

func TestExamplesValidate(t *testing.T) {
	for _, ex := range []string{"local", "lab", "large"} {
		t.Run(ex, func(t *testing.T) {
			cfg, diags := Load(filepath.Join("..", "examples", ex), Options{Vars: []string{"redis_password=example-password"}})
			for _, d := range diags {
				if d.Severity == 1 {
					var sb strings.Builder
					cfg.WriteDiagnostics(&sb, diags, false)
					t.Fatalf("examples/%s does not validate:\n%s", ex, sb.String())
				}
			}
			if ex == "large" && len(cfg.Spec.Nodes) != 64 {
				t.Errorf("examples/large has %d data nodes, want 64", len(cfg.Spec.Nodes))
			}
		})
	}
}

// TestExamplesFormatted checks that every example is in canonical format,
// as roma fmt -check would.
func TestExamplesFormatted(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "examples", "*", "*.hcl"))
	if err != nil || len(files) < 3 {
		t.Fatalf("examples: %v, %v", files, err)
	}
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		out, diags := Format(src, path)
		if diags.HasErrors() {
			t.Errorf("%s: %v", path, diags)
		} else if d := cmp.Diff(string(src), string(out)); d != "" {
			t.Errorf("%s is not formatted (-file +formatted):\n%s", path, d)
		}
	}
}

func TestMultipleFiles(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"cluster.hcl": "cluster \"c\" {\n  partitions = 1\n}\n",
		"hosts.hcl":   "host \"h\" {\n  address = \"127.0.0.1\"\n}\n",
		"nodes.hcl":   "node \"n\" {\n  host      = \"h\"\n  port      = 7000\n  partition = 0\n}\n",
		"notes.txt":   "not read",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, diags := Load(dir, Options{})
	if diags.HasErrors() {
		t.Fatalf("Load: %v", diags)
	}
	if len(cfg.Spec.Nodes) != 1 || len(cfg.Spec.Hosts) != 1 || cfg.Spec.Name != "c" {
		t.Errorf("files were not read together: %+v", cfg.Spec)
	}
}

// TestSensitiveShortAndFromFiles covers the secrets that plain string
// scrubbing misses: values too short to scrub everywhere, values that fail
// to convert, and the lines of a -var-file, which snippets would show.
func TestSensitiveShortAndFromFiles(t *testing.T) {
	dir := t.TempDir()
	src := `
variable "pw" {
  sensitive = true
}
variable "pin" {
  sensitive = true
  type      = number
}
cluster "c" {
  partitions = 1
  password   = var.pw
}
host "h" {
  address = "127.0.0.1"
}
node "n" {
  host      = "h"
  port      = 7000
  partition = 0
}
status "st" {
  host = var.pw
  port = 7100
}
`
	varFile := filepath.Join(dir, "secret.vars")
	if err := os.WriteFile(varFile, []byte("pw = \"Q9\"\npin = \"Pin-Secret-31\"\npww = \"Typo-Secret-42\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		opts    Options
		secrets []string
	}{
		"short -var":        {Options{Vars: []string{"pw=Q9", "pin=1"}}, []string{`"Q9"`}},
		"short environment": {Options{Vars: []string{"pin=1"}, Environ: []string{"ROMA_VAR_pw=Q9"}}, []string{`"Q9"`}},
		"var-file":          {Options{VarFiles: []string{varFile}}, []string{`"Q9"`, "Pin-Secret-31", "Typo-Secret-42"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			cfg, diags := LoadSource([]byte(src), "roma.hcl", dir, tt.opts)
			var sb strings.Builder
			cfg.WriteDiagnostics(&sb, diags, false)
			js, err := json.Marshal(cfg.JSONDiagnostics(diags))
			if err != nil {
				t.Fatal(err)
			}
			out := sb.String() + string(js)
			for _, s := range tt.secrets {
				if strings.Contains(out, s) {
					t.Errorf("diagnostics show %s:\n%s", s, out)
				}
			}
			for _, want := range []string{"Password too short", "Sensitive value not allowed here"} {
				if !strings.Contains(out, want) {
					t.Errorf("diagnostics lack %q:\n%s", want, out)
				}
			}
		})
	}
}

// TestSecretsGivenAsLiterals: a TLS key's pass and a user rule's password
// are secrets even when roma.hcl writes them out rather than taking them
// from a sensitive variable. They are marked Sensitive, so no plan prints
// them, and the roma.hcl apply generates for the hosts keeps them in
// secrets.hcl (mode 0600).
func TestSecretsGivenAsLiterals(t *testing.T) {
	src := `
cluster "c" {
  partitions = 1
  redis {
    tls-key-file-pass = "kp-literal-1"
    user              = ["app on >app-literal-pw ~app:* +@all", "ro on nopass ~* +@read"]
  }
}
host "h" {
  address = "127.0.0.1"
}
node "n" {
  host      = "h"
  port      = 7000
  partition = 0
  redis {
    user = "ro2 on nopass +get"
  }
}
`
	cfg, diags := LoadSource([]byte(src), "roma.hcl", "/cfg", Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	got := map[string]bool{
		"cluster tls-key-file-pass": cfg.Spec.Redis["tls-key-file-pass"].Sensitive,
		"cluster user":              cfg.Spec.Redis["user"].Sensitive,
		"node user":                 cfg.Spec.Nodes[0].Redis["user"].Sensitive,
	}
	want := map[string]bool{"cluster tls-key-file-pass": true, "cluster user": true, "node user": false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Sensitive (-want +got):\n%s", diff)
	}
	config, secrets := roundTrip(t, cfg.Spec)
	for _, s := range []string{"kp-literal-1", "app-literal-pw"} {
		if bytes.Contains(config, []byte(s)) || !bytes.Contains(secrets, []byte(s)) {
			t.Errorf("%s: want it in secrets.hcl only\nconfig:\n%s", s, config)
		}
	}
	if !bytes.Contains(config, []byte(`user = "ro2 on nopass +get"`)) {
		t.Errorf("a user rule without a password should stay in the config:\n%s", config)
	}
}
