package plan

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/remote"
)

// tailLines is how many lines of a stopped node's log a plan reads:
// enough for a crash's bug report (some 300 lines), whose first line
// says what killed it.
const tailLines = 500

// observeLastWords reads, on each host that answered, the end of the log
// of every node there that has a conf file and neither runs nor answers
// (a refused password is no stop), in one more round trip per host with
// such nodes (none when every node runs), and keeps what each last
// warned of (HostState.LastWords): why a node that crashed stopped,
// which the plan then says beside "start it".
func (o Observer) observeLastWords(ctx context.Context, spec *cluster.Spec, st *State) {
	var wg sync.WaitGroup
	for _, h := range spec.Hosts {
		hs := st.Hosts[h.Name]
		if hs == nil || !hs.Reachable {
			continue
		}
		var names []string
		for _, t := range targets(spec) {
			ns := st.Nodes[t.Name]
			if t.Host.Name != h.Name || hs.Files[t.Name] == nil || ns != nil && (ns.Reachable || refusesPassword(ns)) {
				continue
			}
			if s := hs.Services[t.Name]; s != nil && s.Running {
				continue // its process runs: silent, not stopped
			}
			names = append(names, t.Name)
		}
		if len(names) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			logs := o.tails(ctx, h, names)
			for name, log := range logs {
				if w := lastWords(log); w != "" {
					if hs.LastWords == nil {
						hs.LastWords = map[string]string{}
					}
					hs.LastWords[name] = spec.Password.Redact(w)
				}
			}
		}()
	}
	wg.Wait()
}

// logEnd separates the logs tails prints.
const logEnd = "roma-log-end"

// tails returns the last tailLines lines of the log of each of names on
// h, by name; nil when h cannot be asked.
func (o Observer) tails(ctx context.Context, h cluster.Host, names []string) map[string]string {
	t, err := o.Dial(ctx, h)
	if err != nil {
		return nil
	}
	defer t.Close()
	l := cluster.LayoutOf(h)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "printf 'log %%s\\n' %s; tail -n %d -- %s 2>/dev/null; printf '\\n%s\\n'\n", remote.ShellQuote(n), tailLines, remote.ShellQuote(l.Log(n)), logEnd)
	}
	b.WriteString("exit 0\n")
	stdout, err := remote.Output(ctx, t, b.String())
	if err != nil {
		return nil
	}
	out := map[string]string{}
	name, text := "", []string{}
	for _, line := range strings.Split(string(stdout), "\n") {
		switch {
		case name == "" && strings.HasPrefix(line, "log "):
			name, text = strings.TrimPrefix(line, "log "), nil
		case name != "" && line == logEnd:
			out[name] = strings.Join(text, "\n")
			name = ""
		case name != "":
			text = append(text, line)
		}
	}
	return out
}

// logLine is a line of a Redis log: "pid:role date time level message",
// level being . - * or # (a warning).
var logLine = regexp.MustCompile(`^\d+:[A-Z] \d+ [A-Za-z]+ \d+ [\d:.]+ ([.\-*#]) (.*)$`)

// routine starts the warnings Redis gives at every start (its version,
// and advice on the machine it runs on), which say nothing of why it
// stopped.
var routine = []string{
	"Redis version=", "Configuration loaded", "Server initialized",
	"WARNING Memory overcommit", "WARNING overcommit_memory", "WARNING: The TCP backlog",
	"WARNING you have Transparent Huge Pages", "WARNING supervised by systemd",
	// Replication's comings and goings, at the warning level though they
	// are about other nodes: a replica or a backup that synced or left, a
	// master that went away (roma's own backups and failovers write them).
	"Diskless rdb transfer, done reading from pipe", "Connection with replica ",
	"Connection with master lost", "Error condition on socket for SYNC",
	"Setting secondary replication ID", "Master replication ID changed",
}

// lastWords returns what a plan says of a stopped node's log, its last
// lines, as the end of a sentence that begins "its log (PATH on HOST)":
// what the log last warned of since the node last started (since it was
// ready, when it got that far), the routine warnings left out; for a
// crash, the warning before it, if any, and the line of its bug report
// that says what failed. A log that goes on after the start with no
// warning and no shutdown says that the process was killed (SIGKILL, the
// kernel's OOM killer) or its host went down, which leave no word. ""
// for a shutdown (Redis's "ready to exit, bye bye"), or an empty log.
func lastWords(log string) string {
	lines := strings.Split(strings.TrimRight(log, "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return ""
	}
	for _, mark := range []string{"Redis is starting", "Ready to accept connections"} {
		for i := len(lines) - 1; i >= 0; i-- {
			if strings.Contains(lines[i], mark) {
				lines = lines[i+1:]
				break
			}
		}
	}
	if n := len(lines); n > 0 && strings.Contains(lines[n-1], "ready to exit, bye bye") {
		return ""
	}
	for i, line := range lines {
		if !strings.Contains(line, "=== REDIS BUG REPORT START") && !strings.Contains(line, "=== ASSERTION FAILED") {
			continue
		}
		// A crash: the first telling line of the report says what
		// failed ("crashed by signal: 11", "Guru Meditation: ...", the
		// failed assertion); a warning just before it often says why.
		for _, w := range warnings(lines[i+1:]) {
			if strings.HasPrefix(w, "!!!") || strings.Trim(w, "-= ") == "" || strings.Contains(w, "BUG REPORT") {
				continue
			}
			crash := fmt.Sprintf("%q (a crash: Redis's bug report follows it there)", w)
			if before := warnings(lines[:i]); len(before) > 0 {
				crash = fmt.Sprintf("%q, then %s", before[len(before)-1], crash)
			}
			return "last said: " + crash
		}
	}
	// The last 3 warnings, one given several times in a row said once.
	type said struct {
		w     string
		times int
	}
	var runs []said
	for _, w := range warnings(lines) {
		if n := len(runs); n > 0 && runs[n-1].w == w {
			runs[n-1].times++
			continue
		}
		runs = append(runs, said{w, 1})
	}
	var warned []string
	for _, r := range runs[max(0, len(runs)-3):] {
		q := fmt.Sprintf("%q", r.w)
		if r.times > 1 {
			q += fmt.Sprintf(" (%d times)", r.times)
		}
		warned = append(warned, q)
	}
	if len(warned) == 0 {
		return "ends with no shutdown and no error: the process was killed (SIGKILL, the OOM killer?), or its host went down"
	}
	return "last said: " + strings.Join(warned, ", ")
}

// warnings returns the messages of the warnings (level #) among lines,
// the routine ones left out.
func warnings(lines []string) []string {
	var out []string
	for _, line := range lines {
		m := logLine.FindStringSubmatch(line)
		if m == nil || m[1] != "#" || strings.TrimSpace(m[2]) == "" ||
			slices.ContainsFunc(routine, func(a string) bool { return strings.HasPrefix(m[2], a) }) {
			continue
		}
		out = append(out, strings.TrimSpace(m[2]))
	}
	return out
}
