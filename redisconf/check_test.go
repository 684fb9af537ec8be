package redisconf

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/roma-redis/roma/cluster"
)

// TestLiveCheck runs CheckCommand with a real redis-server on files
// rendered for a node whose directories do not exist: a file Redis
// accepts passes, and one it refuses is refused in Redis's words, a
// sensitive value by its directive's name alone. No server starts.
func TestLiveCheck(t *testing.T) {
	bin := redisServerPath(t)
	tests := map[string]struct {
		settings cluster.Settings
		extra    string // appended to the rendered file
		want     string // a part of the error; "" for none
	}{
		"accepted": {settings: cluster.Settings{"maxmemory": {Values: []string{"64mb"}}, "databases": {Values: []string{"32"}},
			"rename-command": {Values: []string{`FLUSHALL ""`}}, "save": {Values: []string{"900 1", "300 10"}}}},
		"not an integer":  {settings: cluster.Settings{"databases": {Values: []string{"lots"}}}, want: `refuses the line "databases lots": argument couldn't be parsed into an integer`},
		"unknown here":    {extra: "lazyfree-lazy-everything yes\n", want: `refuses the line "lazyfree-lazy-everything yes": Bad directive or wrong number of arguments`},
		"wrong arguments": {settings: cluster.Settings{"client-output-buffer-limit": {Values: []string{"replica 256mb 64mb"}}}, want: `refuses the line "client-output-buffer-limit replica 256mb 64mb"`},
		"sensitive": {settings: cluster.Settings{"tls-key-file-pass": {Values: []string{"p4ss"}, Sensitive: true}, "tls-port": {Values: []string{"not-a-port"}, Sensitive: true}},
			want: `refuses the line "tls-port (its value is sensitive)"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := testSpec()
			s.Hosts[0].Root = t.TempDir() + "/no-such-root"
			s.Nodes[0].Redis = tc.settings
			data := append(Render(s, DataTarget(s, s.Nodes[0])), tc.extra...)
			code, stdout, stderr := runCheck(t, CheckCommand, bin, CheckInput(data), nil)
			sensitive := func(d string) bool { return tc.settings[d].Sensitive }
			err := CheckOutcome(code, stdout, stderr, sensitive)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("CheckOutcome = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("CheckOutcome = %v, want an error with %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "not-a-port") {
				t.Errorf("a sensitive value shown: %v", err)
			}
		})
	}
}

// TestCheckOutcome: what CheckOutcome makes of output other than a
// refused line.
func TestCheckOutcome(t *testing.T) {
	tests := map[string]struct {
		code           int
		stdout, stderr string
		want           string
	}{
		"the end reached": {1, "", "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 30\n>>> '" + checkEnd + "'\nBad directive or wrong number of arguments\n", ""},
		"no redis-server": {127, "", "sh: 1: redis-server: not found\n", "redis-server could not check the file: sh: 1: redis-server: not found"},
		"it started":      {0, "Ready to accept connections", "", "did not stop at the end of the check"},
		"silent failure":  {2, "", "", "exit status 2"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := CheckOutcome(tc.code, []byte(tc.stdout), []byte(tc.stderr), nil)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("CheckOutcome = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("CheckOutcome = %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// runCheck runs a check command with sh, redis-server being bin, fed in on
// its standard input, with env added to the environment; it returns the
// exit code and the output.
func runCheck(t *testing.T, command, bin string, in []byte, env []string) (code int, stdout, stderr []byte) {
	t.Helper()
	cmd := exec.Command("sh", "-c", strings.Replace(command, "redis-server", bin, 1))
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = bytes.NewReader(in)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	runErr := cmd.Run()
	if ee, ok := runErr.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if runErr != nil {
		t.Fatal(runErr)
	}
	return code, out.Bytes(), errOut.Bytes()
}
