package plan

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconf"
)

// TestPasswordsOf reads ACL GETUSER replies as Redis 7 gives them (RESP2
// arrays, and a RESP3 map) against roma.hcl's passwords.
func TestPasswordsOf(t *testing.T) {
	cur, prev, other := "the-new-password", "the-old-password", "someone-elses"
	h := redisconf.PasswordHash
	rotating := cluster.NewSecret(cur).WithPrevious(cluster.NewSecret(prev))
	reply := func(flags []any, hashes ...string) []any {
		hs := make([]any, len(hashes))
		for i, x := range hashes {
			hs[i] = x
		}
		return []any{"flags", flags, "passwords", hs, "commands", "+@all", "keys", "~*", "channels", "&*", "selectors", []any{}}
	}
	on := []any{"on", "sanitize-payload"}
	tests := []struct {
		name  string
		reply any
		pw    cluster.Secret
		want  *Passwords
		str   string
	}{
		{"the password only", reply(on, h(cur)), cluster.NewSecret(cur), &Passwords{Current: true}, "roma.hcl's password"},
		{"rotation started", reply(on, h(prev)), rotating, &Passwords{Previous: true}, "the previous password"},
		{"rotation applied", reply(on, h(cur), h(prev)), rotating, &Passwords{Current: true, Previous: true}, "roma.hcl's password and the previous password"},
		{"rotation ended", reply(on, h(cur), h(prev)), cluster.NewSecret(cur), &Passwords{Current: true, Others: 1}, "roma.hcl's password and 1 other password"},
		{"added by hand", reply(on, h(other), h(prev), h(cur)), cluster.NewSecret(cur), &Passwords{Current: true, Others: 2}, "roma.hcl's password and 2 other passwords"},
		{"added during a rotation", reply(on, h(other), h(prev), h(cur)), rotating, &Passwords{Current: true, Previous: true, Others: 1}, "roma.hcl's password, the previous password and 1 other password"},
		{"no password", reply([]any{"on", "nopass"}), cluster.NewSecret(cur), &Passwords{None: true}, "no password"},
		{"none of ours", reply(on, h(other)), cluster.NewSecret(cur), &Passwords{Others: 1}, "1 other password"},
		{"RESP3 map", map[any]any{"flags": on, "passwords": []any{h(cur)}}, cluster.NewSecret(cur), &Passwords{Current: true}, "roma.hcl's password"},
		{"unreadable", []any{"flags"}, cluster.NewSecret(cur), nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := passwordsOf(tc.reply, tc.pw)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("passwordsOf (-want +got):\n%s", diff)
			}
			if got != nil && got.String() != tc.str {
				t.Errorf("String() = %q, want %q", got.String(), tc.str)
			}
		})
	}
}

// TestPasswordLines: requirepass and the default user's line are one
// attribute for a file comparison; other users' lines stay "user".
func TestPasswordLines(t *testing.T) {
	got := passwordLines(map[string][]string{
		"requirepass": {"x"},
		"user":        {"default on #ab ~* &* +@all", "app on >p ~app:* +get"},
		"maxmemory":   {"64mb"},
	})
	want := map[string][]string{
		passwordsAttr: {"requirepass x", "user default on #ab ~* &* +@all"},
		"user":        {"app on >p ~app:* +get"},
		"maxmemory":   {"64mb"},
	}
	if diff := cmp.Diff(want, got, cmpSortStrings); diff != "" {
		t.Errorf("passwordLines (-want +got):\n%s", diff)
	}
}

var cmpSortStrings = cmp.Transformer("sorted", func(in []string) []string {
	out := append([]string(nil), in...)
	slices.Sort(out)
	return out
})

// TestFingerprintsHoldNoPasswordHash: the digests of a plan file (of the
// configuration and of each conf file seen) are made without the
// passwords, the hashes a rotation's file holds, or any sensitive setting,
// so that no one can test password guesses against them; and declaring a
// rotation changes the configuration's digest.
func TestFingerprintsHoldNoPasswordHash(t *testing.T) {
	conf := []byte("port 7000\nrequirepass p1\nmasterauth p1\nuser default on #abc #def ~* &* +@all\nuser app on >x ~* +get\ntls-key-file-pass k\nmaxmemory 64mb\n")
	got := string(redactConf(conf, map[string]bool{"tls-key-file-pass": true}))
	if want := "port 7000\nmaxmemory 64mb\n"; got != want {
		t.Errorf("redactConf = %q, want %q", got, want)
	}
	spec := &cluster.Spec{Name: "c", Partitions: 1, Hash: "jump", Password: cluster.NewSecret("the-new-password"),
		Hosts: []cluster.Host{{Name: "h", Address: "10.0.0.1", Root: "/r", Service: cluster.ServiceProcess}},
		Nodes: []cluster.Node{{Name: "n", Host: "h", Port: 7000}}}
	fp := func(s *cluster.Spec) string {
		d := &differ{spec: s, st: &State{}, p: &Plan{Fingerprints: map[string]string{}}}
		d.fingerprints()
		return d.p.Fingerprints["config"]
	}
	plain := fp(spec)
	rotating := *spec
	rotating.Password = spec.Password.WithPrevious(cluster.NewSecret("the-old-password"))
	if fp(&rotating) == plain {
		t.Error("declaring a rotation leaves the configuration's digest as it was")
	}
	other := rotating
	other.Password = cluster.NewSecret("another-password").WithPrevious(cluster.NewSecret("yet-another-one"))
	if fp(&other) != fp(&rotating) {
		t.Error("the configuration's digest depends on the passwords")
	}
}
