package redisconf

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/roma-redis/roma/cluster"
)

// TestLiveStartCheck runs StartCheckCommand with a real redis-server on
// files rendered for a node whose directories do not exist: user rules
// and modules Redis accepts pass, the ones it refuses only as it starts
// are refused in Redis's words, without any password. Nothing is left in
// the temporary directory, and no server keeps running.
func TestLiveStartCheck(t *testing.T) {
	bin := redisServerPath(t)
	const secret = "app-secret-pw"
	tests := map[string]struct {
		settings cluster.Settings
		want     string // a part of the error; "" for none
	}{
		"accepted": {settings: cluster.Settings{"user": {Values: []string{
			"app on >" + secret + " ~app:* &chan:* +@read +set -flushall",
			`ops on "#5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8" +@all ~*`,
			"ro on nopass resetchannels ~* +get"}}}},
		"unknown category": {settings: cluster.Settings{"user": {Values: []string{"ro on nopass +get", "app on >" + secret + " ~app:* +@bogus"}}},
			want: `redis-server would not start: it refuses the line "user app on >(sensitive) ~app:* +@bogus": Error in applying operation '+@bogus': Unknown command or category name in ACL`},
		"unknown command": {settings: cluster.Settings{"user": {Values: []string{"app on nopass +nosuchcommand"}}},
			want: `it refuses the line "user app on nopass +nosuchcommand": Error in applying operation '+nosuchcommand'`},
		"two bad lines": {settings: cluster.Settings{"user": {Values: []string{"a on nopass +@bogus", "b on #abc"}}},
			want: `it refuses the line "user a on nopass +@bogus": Error in applying operation '+@bogus': Unknown command or category name in ACL; and the line "user b on #(sensitive)": The password hash must be exactly 64 characters`},
		"a module that does not load": {settings: cluster.Settings{"loadmodule": {Values: []string{"/bin/true"}}},
			want: `redis-server would not start: Module /bin/true failed to load`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := testSpec()
			s.Hosts[0].Root = t.TempDir() + "/no-such-root"
			s.Password = cluster.NewSecret("cluster-secret-pw")
			s.Nodes[0].Redis = tc.settings
			data := Render(s, DataTarget(s, s.Nodes[0]))
			if !NeedsStartCheck(data) {
				t.Fatal("NeedsStartCheck = false")
			}
			in, users := StartCheckInput(data)
			if bytes.Contains(in, []byte(secret)) || bytes.Contains(in, []byte("cluster-secret-pw")) {
				t.Errorf("a password goes to the host for the check:\n%s", in)
			}
			tmp := t.TempDir()
			code, stdout, stderr := runCheck(t, StartCheckCommand, bin, in, []string{"TMPDIR=" + tmp})
			err := StartCheckOutcome(code, stdout, stderr, users)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("StartCheckOutcome = %v, want nil\noutput:\n%s%s", err, stdout, stderr)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("StartCheckOutcome = %v, want an error with %q\noutput:\n%s%s", err, tc.want, stdout, stderr)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("a password shown: %v", err)
			}
			if left, _ := os.ReadDir(tmp); len(left) > 0 {
				t.Errorf("the check left %d entries in TMPDIR (%s...)", len(left), left[0].Name())
			}
		})
	}
}

func TestNeedsStartCheck(t *testing.T) {
	s := testSpec()
	if NeedsStartCheck(Render(s, DataTarget(s, s.Nodes[0]))) {
		t.Error("a file with neither user nor loadmodule lines needs no start check")
	}
}

// TestStartCheckInput: the file goes first, without the cluster password;
// the user lines after the separator, with dummy passwords, in order; the
// end line last.
func TestStartCheckInput(t *testing.T) {
	data := []byte("port 7000\nrequirepass pw1\nmasterauth pw1\nuser a on >pw2 ~* +@all\ndir /x\nuser b on \"#" + strings.Repeat("ab", 32) + "\" <pw3 !bad nopass\n")
	in, users := StartCheckInput(data)
	want := "port 7000\n" + aclSection + "\nuser a on >x ~* +@all\nuser b on #" + strings.Repeat("0", 64) + " <x !bad nopass\n" + aclEnd + "\n"
	if diff := cmp.Diff(want, string(in)); diff != "" {
		t.Errorf("StartCheckInput (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a on >pw2 ~* +@all", `b on "#` + strings.Repeat("ab", 32) + `" <pw3 !bad nopass`}, users); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}
}

// TestStartCheckOutcome: what StartCheckOutcome makes of output other
// than Redis's ACL errors.
func TestStartCheckOutcome(t *testing.T) {
	tests := map[string]struct {
		code   int
		stdout string
		want   string
	}{
		"only the end refused": {1, "1:M 28 Nov 2026 02:00:33.551 # Aborting Redis startup because of ACL errors: /tmp/tmp.x/acl:3 should start with user keyword followed by the username. WARNING: ACL errors detected, no change to the previously active ACL rules was performed\n", ""},
		"a module": {1, "1:M 28 Nov 2026 02:00:33.541 # Server initialized\n1:M 28 Nov 2026 02:00:33.541 # WARNING Memory overcommit must be enabled!\n1:M 28 Nov 2026 02:00:33.542 # Module /x.so failed to load: /x.so: invalid ELF header\n1:M 28 Nov 2026 02:00:33.542 # Can't load module from /x.so: server aborting\n",
			"redis-server would not start: Module /x.so failed to load: /x.so: invalid ELF header; Can't load module from /x.so: server aborting"},
		"timed out":       {124, "1:M 28 Nov 2026 02:00:33.541 * Ready to accept connections\n", "did not stop at the end of the check"},
		"no redis-server": {127, "sh: 1: redis-server: not found\n", "redis-server could not check the file: sh: 1: redis-server: not found"},
		"silent failure":  {2, "", "exit status 2"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := StartCheckOutcome(tc.code, []byte(tc.stdout), nil, []string{"a nopass", "b nopass"})
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("StartCheckOutcome = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("StartCheckOutcome = %v, want an error with %q", err, tc.want)
			}
		})
	}
}
