package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLastWords: what a plan says of a stopped node's log, from logs
// Redis 7.0 wrote (trimmed): the warnings since it last started (since
// it was ready, when it got that far), the routine ones left out, one
// repeated said once; the first line of a crash's bug report; that it
// was killed, when it ends with no word; nothing after a shutdown.
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
	const killed = "ends with no shutdown and no error: the process was killed (SIGKILL, the OOM killer?), or its host went down"
	const shutdown = ready + `15864:M 29 Nov 2026 18:18:56.148 # User requested shutdown...
15864:M 29 Nov 2026 18:18:56.149 * Removing the pid file.
15864:M 29 Nov 2026 18:18:56.149 # Redis is now ready to exit, bye bye...
`
	for _, tc := range []struct {
		name, log, want string
	}{
		{"a shutdown", shutdown, ""},
		{"an empty log", "", ""},
		{"ready, then killed without a word", ready, killed},
		{"killed while it loaded its data", start + `15864:M 29 Nov 2026 17:55:35.861 * Loading RDB produced by version 7.0.15
`, killed},
		// What roma's backups and failovers have Redis write, seen in the
		// log of a node whose host went down.
		{"killed after replication's warnings", ready + `27713:M 29 Nov 2026 23:23:36.725 # Diskless rdb transfer, done reading from pipe, 1 replicas still up.
27713:M 29 Nov 2026 23:23:39.755 # Diskless rdb transfer, done reading from pipe, 1 replicas still up.
27745:S 29 Nov 2026 23:23:40.428 # Connection with replica 127.0.0.63:<unknown-replica-port> lost.
27745:S 29 Nov 2026 23:23:40.428 # Connection with replica 127.0.0.63:7462 lost.
27745:S 29 Nov 2026 23:24:30.428 # Connection with master lost.
27745:S 29 Nov 2026 23:24:30.500 # Error condition on socket for SYNC: Connection refused
27745:M 29 Nov 2026 23:24:33.100 # Setting secondary replication ID to 8ca7df1f2d4cb0ae6a9f9f5d6a8, valid up to offset: 7131. New replication ID is fb3e1ec0ab5f
27745:M 29 Nov 2026 23:24:33.100 # Master replication ID changed to fb3e1ec0ab5f
`, killed},
		{"a full disk under an AOF fsynced always", shutdown + ready + `21466:M 29 Nov 2026 18:19:10.591 # Short write while writing to the AOF file: (nwritten=714, expected=5014)
21466:M 29 Nov 2026 18:19:10.591 # Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...
`, `last said: "Short write while writing to the AOF file: (nwritten=714, expected=5014)", "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..."`},
		{"a start that failed", shutdown + start + `21209:M 29 Nov 2026 18:18:56.993 # 
*** FATAL AOF MANIFEST FILE ERROR ***

21209:M 29 Nov 2026 18:18:56.993 # Found an empty AOF manifest
`, `last said: "Found an empty AOF manifest"`},
		{"warnings of an earlier run", `1:M 29 Nov 2026 10:00:00.000 # Short write while writing to the AOF file
` + ready, killed},
		{"a crash", ready + `=== REDIS BUG REPORT START: Cut & paste starting from here ===
24736:M 29 Nov 2026 18:21:29.403 # Redis 7.0.15 crashed by signal: 11, si_code: 2
24736:M 29 Nov 2026 18:21:29.404 # Accessing address: 0xffffffffffffffff
24736:M 29 Nov 2026 18:21:29.406 # Bio thread for job type #0 terminated
=== REDIS BUG REPORT END. Make sure to include from START to END. ===
`, `last said: "Redis 7.0.15 crashed by signal: 11, si_code: 2" (a crash: Redis's bug report follows it there)`},
		{"a replica that could not write its AOF on a full disk", ready + `29742:S 29 Nov 2026 18:26:20.089 * Background AOF rewrite finished successfully
29742:S 29 Nov 2026 18:26:21.717 # Short write while writing to the AOF file: (nwritten=4824, expected=16528)


=== REDIS BUG REPORT START: Cut & paste starting from here ===
29742:S 29 Nov 2026 18:26:21.719 # ------------------------------------------------
29742:S 29 Nov 2026 18:26:21.719 # !!! Software Failure. Press left mouse button to continue
29742:S 29 Nov 2026 18:26:21.719 # Guru Meditation: Replica was unable to write command to disk. #server.c:3890

------ STACK TRACE ------
`, `last said: "Short write while writing to the AOF file: (nwritten=4824, expected=16528)", then "Guru Meditation: Replica was unable to write command to disk. #server.c:3890" (a crash: Redis's bug report follows it there)`},
		{"a failed assertion", ready + `24736:M 29 Nov 2026 18:21:29.403 # === ASSERTION FAILED ===
24736:M 29 Nov 2026 18:21:29.403 # ==> t_string.c:42 'o != NULL' is not true
`, `last said: "==> t_string.c:42 'o != NULL' is not true" (a crash: Redis's bug report follows it there)`},
		{"more than 3 warnings", ready + `1:M 29 Nov 2026 18:00:00.001 # one
1:M 29 Nov 2026 18:00:00.002 # two
1:M 29 Nov 2026 18:00:00.003 # three
1:M 29 Nov 2026 18:00:00.004 * not a warning
1:M 29 Nov 2026 18:00:00.005 # four
`, `last said: "two", "three", "four"`},
		{"a warning given again and again", ready + `1:M 29 Nov 2026 18:00:00.001 # one
1:M 29 Nov 2026 18:00:00.002 # Background saving error
1:M 29 Nov 2026 18:00:00.003 # Background saving error
1:M 29 Nov 2026 18:00:00.004 * not a warning
1:M 29 Nov 2026 18:00:00.005 # Background saving error
1:M 29 Nov 2026 18:00:00.006 # two
1:M 29 Nov 2026 18:00:00.007 # two
`, `last said: "one", "Background saving error" (3 times), "two" (2 times)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, lastWords(tc.log)); d != "" {
				t.Errorf("lastWords (-want +got):\n%s", d)
			}
		})
	}
}
