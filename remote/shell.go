package remote

import "strings"

// ShellQuote returns s as one word for a POSIX shell: bare when it holds
// only characters no shell treats specially, otherwise in single quotes,
// where a single quote inside ends the quoting, is escaped with a
// backslash, and quoting starts again.
func ShellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, needsQuote) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// needsQuote reports whether r may mean something to a shell.
func needsQuote(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return false
	}
	return !strings.ContainsRune("_-./:,+@%", r)
}

// ShellJoin quotes each word and joins them with spaces: a command line
// that runs argv exactly.
func ShellJoin(argv []string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		words[i] = ShellQuote(a)
	}
	return strings.Join(words, " ")
}
