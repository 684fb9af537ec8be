package redisconf

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// A rendered file is checked by the host's own redis-server before roma
// writes it, so that a value Redis refuses (databases = "lots"), or a
// directive the host's Redis version does not know, stops apply before
// any node is touched rather than leaving a node that cannot start.
//
// CheckCommand has redis-server read the file from its standard input and
// then, from its command line, a directive that does not exist (checkEnd):
// Redis reads its whole configuration before it acts on any of it, so a
// file it accepts ends in the error about checkEnd, and the server never
// starts, listens or writes. What Redis checks only as it starts, the
// modules of loadmodule and the rules of user, StartCheckCommand checks.
const checkEnd = "roma-end-of-conf-check"

// CheckCommand is the command that checks the file on its standard input
// (CheckInput's).
const CheckCommand = "redis-server - --" + checkEnd

// CheckInput is what CheckCommand reads for the rendered file data: data
// without its dir, logfile and pidfile, which roma sets itself and which
// Redis acts on as it reads them (chdir, opening the log), so that the
// check touches nothing on the host and does not need the node's
// directories.
func CheckInput(data []byte) []byte {
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) > 0 {
			switch strings.ToLower(f[0]) {
			case "dir", "logfile", "pidfile":
				continue
			}
		}
		out.WriteString(line)
		out.WriteByte('\n')
	}
	return out.Bytes()
}

// CheckOutcome reads what CheckCommand left (its exit code and output):
// nil when Redis read the whole file, else why it refused it, in Redis's
// words. sensitive says which directives' values must not be shown: a
// refused line of one is shown by its name alone.
func CheckOutcome(exitCode int, stdout, stderr []byte, sensitive func(directive string) bool) error {
	out := string(stderr) + "\n" + string(stdout)
	var line, why string
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), ">>> '"); ok {
			line = strings.TrimSuffix(rest, "'")
			if i+1 < len(lines) {
				why = strings.TrimSpace(lines[i+1])
			}
			break
		}
	}
	switch {
	case line != "" && strings.HasPrefix(line, checkEnd):
		return nil
	case line != "":
		name, _, _ := strings.Cut(line, " ")
		if sensitive != nil && sensitive(strings.ToLower(name)) {
			line = name + " (its value is sensitive)"
		}
		if why == "" {
			why = "refused"
		}
		return fmt.Errorf("redis-server refuses the line %q: %s", line, why)
	case exitCode == 0:
		return fmt.Errorf("redis-server did not stop at the end of the check: %s", strings.TrimSpace(out))
	}
	msg := strings.TrimSpace(out)
	if msg == "" {
		msg = fmt.Sprintf("exit status %d", exitCode)
	}
	return fmt.Errorf("redis-server could not check the file: %s", msg)
}
