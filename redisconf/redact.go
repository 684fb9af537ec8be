package redisconf

import (
	"strconv"
	"strings"

	"github.com/roma-redis/roma/cluster"
)

// Secret reports whether a directive's whole value is a secret, however
// roma.hcl gives it: the passwords of the default user and of TLS keys.
func Secret(name string) bool {
	switch name {
	case "requirepass", "masterauth", "tls-key-file-pass", "tls-client-key-file-pass":
		return true
	}
	return false
}

// SecretValue reports whether a directive with these values holds a
// secret however roma.hcl gives it: a Secret directive, or a user rule that
// sets or removes a password or a password hash (>pw, <pw, #hash, !hash).
// roma treats such a setting as it treats one from a sensitive variable:
// its value is rendered, never printed.
func SecretValue(name string, values []string) bool {
	if Secret(name) {
		return true
	}
	if name != "user" {
		return false
	}
	for _, v := range values {
		args, err := SplitArgs(v)
		if err != nil {
			return true // Redis refuses the line; whether it holds a password is unknown
		}
		for i, a := range args {
			if passwordArg(i, a) {
				return true
			}
		}
	}
	return false
}

// SecretParts returns what of a sensitive setting's value must not be
// shown, for scrubbing a message that may quote it (a server's error): a
// user rule's passwords and hashes (each with and without its sign), or
// else the value and each of its arguments.
func SecretParts(name, value string) []string {
	args, err := SplitArgs(value)
	if err != nil {
		return []string{value}
	}
	if name == "user" {
		var out []string
		for i, a := range args {
			if passwordArg(i, a) {
				out = append(out, a, a[1:])
			}
		}
		return out
	}
	return append([]string{value}, args...)
}

// passwordArg reports whether a user line's argument i (after the
// directive) sets or removes a password or its hash. Argument 0 is the
// user's name.
func passwordArg(i int, a string) bool {
	return i > 0 && a != "" && strings.ContainsRune("><#!", rune(a[0]))
}

// Shown is how a directive's values may be printed: a user rule's
// passwords and password hashes redacted (RedactRule), every other value
// as it is. Whether the whole value is secret (Secret, or a sensitive
// variable) is the caller's to check.
func Shown(name string, values []string) []string {
	if name != "user" {
		return values
	}
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = RedactRule(v)
	}
	return out
}

// RedactRule returns an ACL user rule (a "user" line's value: the user's
// name and its rules) with every password and password hash in it (>pw,
// <pw, #hash, !hash) replaced by cluster.Redacted after its sign, so that
// a plan shows which rules change but no password: "app on >(sensitive)
// ~app:* +@read". Rules are split as Redis splits the line (SplitArgs); a
// rule that cannot be split is redacted whole.
func RedactRule(rule string) string {
	args, err := SplitArgs(rule)
	if err != nil {
		return cluster.Redacted
	}
	for i, a := range args {
		switch {
		case passwordArg(i, a):
			args[i] = a[:1] + cluster.Redacted
		default:
			args[i] = quoteArg(a)
		}
	}
	return strings.Join(args, " ")
}

// quoteArg returns a as a line of redis.conf gives it: quoted when it is
// empty or holds a space, a quote, a backslash or an unprintable byte.
func quoteArg(a string) string {
	if a == "" || strings.ContainsAny(a, " \t\r\n\"'\\") || !strconv.CanBackquote(a) {
		return strconv.Quote(a)
	}
	return a
}
