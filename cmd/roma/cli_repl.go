package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/roma-redis/roma/redisconf"
	"golang.org/x/term"
)

// runScript runs the commands of in, one per line, as a script: each
// reply is printed; the exit status is 1 when any command failed.
func runScript(ss *cliSession, in io.Reader) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 512<<20)
	for sc.Scan() {
		if quit := ss.runLine(sc.Text()); quit {
			break
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read commands from standard input: %w", err)
	}
	if ss.errors > 0 {
		return exitStatus(exitError)
	}
	return nil
}

// runLine runs one line of a script or of the prompt, and reports
// whether it asks to quit.
func (ss *cliSession) runLine(line string) (quit bool) {
	args, err := redisconf.SplitArgs(line)
	if err != nil {
		ss.errors++
		fmt.Fprintln(ss.errOut, "Invalid argument(s)") // as redis-cli says
		return false
	}
	if len(args) == 0 {
		return false
	}
	switch strings.ToLower(args[0]) {
	case "quit", "exit":
		return true
	}
	ss.print(args, ss.execLine(args))
	return false
}

// runInteractive is the prompt: line editing and history (up and down
// arrows, kept in ~/.roma_history) on the terminal in.
func runInteractive(ss *cliSession, s *streams, cluster string) error {
	f := s.in.(*os.File)
	fd := int(f.Fd())
	old, err := term.MakeRaw(fd)
	if err != nil {
		return runScript(ss, s.in)
	}
	defer term.Restore(fd, old)
	prompt := cluster + "> "
	t := term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{f, s.out}, prompt)
	if w, h, err := term.GetSize(fd); err == nil && w > 0 && h > 0 {
		_ = t.SetSize(w, h)
	}
	hist := loadHistory(historyPath())
	t.History = hist
	ss.out, ss.errOut = t, t
	ss.confirm = func(q string) bool {
		hist.skip = true
		defer func() { hist.skip = false }()
		t.SetPrompt(q)
		defer t.SetPrompt(prompt)
		line, err := t.ReadLine()
		return err == nil && strings.TrimSpace(line) == "yes"
	}
	for {
		line, err := t.ReadLine()
		if err != nil {
			return nil // Ctrl-D or Ctrl-C
		}
		if ss.runLine(line) {
			return nil
		}
	}
}

func historyPath() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".roma_history")
}

// maxHistory is how many lines the prompt remembers.
const maxHistory = 1000

// fileHistory is the prompt's history, kept in a file (mode 0600) one
// line per command, as redis-cli keeps ~/.rediscli_history.
type fileHistory struct {
	path    string
	entries []string // oldest first
	skip    bool     // answers to questions are not commands
}

func loadHistory(path string) *fileHistory {
	h := &fileHistory{path: path}
	if path == "" {
		return h
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return h
	}
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" {
			h.entries = append(h.entries, l)
		}
	}
	if len(h.entries) > maxHistory {
		h.entries = h.entries[len(h.entries)-maxHistory:]
	}
	return h
}

// Add records a line, in memory and at the end of the file.
func (h *fileHistory) Add(entry string) {
	if h.skip || strings.TrimSpace(entry) == "" || (len(h.entries) > 0 && h.entries[len(h.entries)-1] == entry) || sensitiveLine(entry) {
		return
	}
	h.entries = append(h.entries, entry)
	if len(h.entries) > maxHistory {
		h.entries = h.entries[1:]
	}
	if h.path == "" {
		return
	}
	if f, err := os.OpenFile(h.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err == nil {
		fmt.Fprintln(f, entry)
		f.Close()
	}
}

// sensitiveLine reports whether a line of the prompt may hold a password,
// and so stays out of the history (in memory and on disk), as redis-cli
// keeps it out of its own: AUTH, HELLO with AUTH, ACL SETUSER, MIGRATE with
// AUTH or AUTH2, and CONFIG SET of requirepass, masterauth or masteruser.
// A line that does not split (an open quote) is judged by its words.
func sensitiveLine(line string) bool {
	args, err := redisconf.SplitArgs(line)
	if err != nil {
		args = strings.Fields(line)
	}
	if len(args) == 0 {
		return false
	}
	has := func(from int, words ...string) bool {
		for _, a := range args[min(from, len(args)):] {
			for _, w := range words {
				if strings.EqualFold(a, w) {
					return true
				}
			}
		}
		return false
	}
	switch strings.ToLower(args[0]) {
	case "auth":
		return true
	case "hello":
		return has(2, "auth")
	case "migrate":
		return has(6, "auth", "auth2")
	case "acl":
		return len(args) > 1 && strings.EqualFold(args[1], "setuser")
	case "config":
		return len(args) > 1 && strings.EqualFold(args[1], "set") && has(2, "requirepass", "masterauth", "masteruser")
	}
	return false
}

// Len is the number of lines remembered.
func (h *fileHistory) Len() int { return len(h.entries) }

// At returns a line; 0 is the most recent.
func (h *fileHistory) At(i int) string { return h.entries[len(h.entries)-1-i] }
