package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLastWords: what a plan quotes of a stopped node's log, from logs
// Redis 7.0 wrote (trimmed): the warnings since it last started (since
// it was ready, when it got that far), the routine ones left out; the
// first line of a crash's bug report; nothing after a shutdown.
func TestLastWords(t *testing.T) {
	const start = `15864:C 29 Nov 2026 17:55:35.851 # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo
15864:C 29 Nov 2026 17:55:35.851 # Redis version=7.0.15, bits=64, commit=00000000, modified=0, pid=15864, just started
15864:C 29 Nov 2026 17:55:35.851 # Configuration loaded
15864:M 29 Nov 2026 17:55:35.855 * monotonic clock: POSIX clock_gettime
15864:M 29 Nov 2026 17:55:35.860 * Running mode=standalone, port=7470.
15864:M 29 Nov 2026 17:55:35.860 # Server initialized
15864:M 29 Nov 2026 17:55:35.860 # WARNING Memory overcommit must be enabled! Without it, a background save or replication may fail under low memory condition.
`
	const ready = start + `15864:M 29 Nov 2026 17:55:35.873 * Ready to accept connections
`
	const shutdown = ready + `15864:M 29 Nov 2026 18:18:56.148 # User requested shutdown...
15864:M 29 Nov 2026 18:18:56.149 * Removing the pid file.
15864:M 29 Nov 2026 18:18:56.149 # Redis is now ready to exit, bye bye...
`
	for _, tc := range []struct {
		name, log, want string
	}{
		{"a shutdown", shutdown, ""},
		{"an empty log", "", ""},
		{"ready, then killed without a word", ready, ""},
		{"a full disk under an AOF fsynced always", shutdown + ready + `21466:M 29 Nov 2026 18:19:10.591 # Short write while writing to the AOF file: (nwritten=714, expected=5014)
21466:M 29 Nov 2026 18:19:10.591 # Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...
`, `"Short write while writing to the AOF file: (nwritten=714, expected=5014)", "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..."`},
		{"a start that failed", shutdown + start + `21209:M 29 Nov 2026 18:18:56.993 # 
*** FATAL AOF MANIFEST FILE ERROR ***

21209:M 29 Nov 2026 18:18:56.993 # Found an empty AOF manifest
`, `"Found an empty AOF manifest"`},
		{"warnings of an earlier run", `1:M 29 Nov 2026 10:00:00.000 # Short write while writing to the AOF file
` + ready, ""},
		{"a crash", ready + `=== REDIS BUG REPORT START: Cut & paste starting from here ===
24736:M 29 Nov 2026 18:21:29.403 # Redis 7.0.15 crashed by signal: 11, si_code: 2
24736:M 29 Nov 2026 18:21:29.404 # Accessing address: 0xffffffffffffffff
24736:M 29 Nov 2026 18:21:29.406 # Bio thread for job type #0 terminated
=== REDIS BUG REPORT END. Make sure to include from START to END. ===
`, `"Redis 7.0.15 crashed by signal: 11, si_code: 2" (a crash: Redis's bug report follows it there)`},
		{"a replica that could not write its AOF on a full disk", ready + `29742:S 29 Nov 2026 18:26:20.089 * Background AOF rewrite finished successfully
29742:S 29 Nov 2026 18:26:21.717 # Short write while writing to the AOF file: (nwritten=4824, expected=16528)


=== REDIS BUG REPORT START: Cut & paste starting from here ===
29742:S 29 Nov 2026 18:26:21.719 # ------------------------------------------------
29742:S 29 Nov 2026 18:26:21.719 # !!! Software Failure. Press left mouse button to continue
29742:S 29 Nov 2026 18:26:21.719 # Guru Meditation: Replica was unable to write command to disk. #server.c:3890

------ STACK TRACE ------
`, `"Short write while writing to the AOF file: (nwritten=4824, expected=16528)", then "Guru Meditation: Replica was unable to write command to disk. #server.c:3890" (a crash: Redis's bug report follows it there)`},
		{"a failed assertion", ready + `24736:M 29 Nov 2026 18:21:29.403 # === ASSERTION FAILED ===
24736:M 29 Nov 2026 18:21:29.403 # ==> t_string.c:42 'o != NULL' is not true
`, `"==> t_string.c:42 'o != NULL' is not true" (a crash: Redis's bug report follows it there)`},
		{"more than 3 warnings", ready + `1:M 29 Nov 2026 18:00:00.001 # one
1:M 29 Nov 2026 18:00:00.002 # two
1:M 29 Nov 2026 18:00:00.003 # three
1:M 29 Nov 2026 18:00:00.004 * not a warning
1:M 29 Nov 2026 18:00:00.005 # four
`, `"two", "three", "four"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, lastWords(tc.log)); d != "" {
				t.Errorf("lastWords (-want +got):\n%s", d)
			}
		})
	}
}
