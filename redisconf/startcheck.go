package redisconf

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Some of a file Redis checks only as it starts, after it has read the
// whole file: the modules of loadmodule (loaded, and their OnLoad run) and
// the rules of user lines (a rule naming a command or category that does
// not exist). CheckCommand cannot see those, and a node given such a file
// would not start: in a rolling restart, every partition's first replica
// would go down with it.
//
// StartCheckCommand has the host's redis-server start on the file as far
// as that, then stop: the file (StartCheckInput) goes to a private
// temporary directory, removed on exit, with its user lines moved to an
// ACL file there that ends in a line Redis refuses (aclEnd). Redis loads
// an ACL file after the modules and before any data, and refuses to start
// when a line of it is wrong: a file it accepts ends in the error about
// aclEnd alone. The server listens on a unix socket in that directory
// only (port 0, tls-port 0: Redis refuses to start listening nowhere),
// reads and writes no data (dir is the directory, save "" and appendonly
// no), and logs to its standard output; timeout stops it should it ever
// get further.
const aclEnd = "roma-end-of-acl-check"

// aclSection separates the conf file from the ACL file in
// StartCheckInput.
const aclSection = "roma-acl-file-follows"

// StartCheckCommand is the command that starts redis-server as far as
// StartCheckInput's file lets it (see above).
const StartCheckCommand = `d=$(mktemp -d) || exit 70; trap 'rm -rf "$d"' EXIT; umask 077; ` +
	`awk -v d="$d" 'f { print > (d "/acl"); next } $0 == "` + aclSection + `" { f = 1; next } { print > (d "/conf") }' && ` +
	`timeout 20 redis-server "$d/conf" --aclfile "$d/acl" --port 0 --tls-port 0 --unixsocket "$d/s" --dir "$d" ` +
	`--daemonize no --supervised no --save '' --appendonly no --syslog-enabled no --logfile ''`

// NeedsStartCheck reports whether the file data holds what only a start
// checks: a loadmodule or a user line.
func NeedsStartCheck(data []byte) bool {
	d := Parse(data)
	return len(d["loadmodule"]) > 0 || len(d["user"]) > 0
}

// StartCheckInput is what StartCheckCommand reads for the rendered file
// data: the file as CheckInput has it, without the cluster password
// (requirepass, masterauth), then aclSection and the file's user lines
// with their passwords and hashes replaced by ones of the same form, so
// that no password of the file is written on the host for the check.
// users returns the user lines' values, in the order of the ACL file's
// lines.
func StartCheckInput(data []byte) (in []byte, users []string) {
	var conf, acl bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(CheckInput(data)))
	sc.Buffer(nil, len(data)+1)
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) > 0 {
			switch strings.ToLower(f[0]) {
			case "requirepass", "masterauth":
				continue
			case "user":
				v := strings.TrimSpace(strings.TrimSpace(line)[len(f[0]):])
				users = append(users, v)
				acl.WriteString("user " + dummyPasswords(v) + "\n")
				continue
			}
		}
		conf.WriteString(line + "\n")
	}
	acl.WriteString(aclEnd + "\n")
	return append(append(conf.Bytes(), aclSection+"\n"...), acl.Bytes()...), users
}

// dummyPasswords returns a user rule with its passwords replaced by "x" and
// its well-formed hashes by zeros: the same rules to Redis, none of the
// secrets. A malformed hash stays, for Redis to refuse; a rule that cannot
// be split stays whole, for Redis to refuse.
func dummyPasswords(rule string) string {
	args, err := SplitArgs(rule)
	if err != nil {
		return rule
	}
	for i, a := range args {
		if !passwordArg(i, a) {
			args[i] = quoteArg(a)
			continue
		}
		switch a[0] {
		case '>', '<':
			args[i] = a[:1] + "x"
		default: // #, !
			if sha256Hex.MatchString(a[1:]) {
				args[i] = a[:1] + strings.Repeat("0", 64)
			}
		}
	}
	return strings.Join(args, " ")
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// aclError is one error of Redis's "Aborting Redis startup because of ACL
// errors:" line: "<path>:<line>: <why>. " or "<path>:<line> <why>. ".
var aclError = regexp.MustCompile(`\S*/acl:(\d+):? `)

// StartCheckOutcome reads what StartCheckCommand left: nil when Redis
// loaded every module and user line, else why it would not start, in
// Redis's words, with a user line shown as RedactRule shows it.
func StartCheckOutcome(exitCode int, stdout, stderr []byte, users []string) error {
	out := string(stdout) + "\n" + string(stderr)
	const abort = "Aborting Redis startup because of ACL errors: "
	if _, errs, ok := strings.Cut(out, abort); ok {
		errs, _, _ = strings.Cut(errs, "\n")
		errs, _, _ = strings.Cut(errs, "WARNING: ACL errors detected")
		locs := aclError.FindAllStringSubmatchIndex(errs, -1)
		var bad []string
		for k, loc := range locs {
			n, _ := strconv.Atoi(errs[loc[2]:loc[3]])
			end := len(errs)
			if k+1 < len(locs) {
				end = locs[k+1][0]
			}
			why := strings.TrimSuffix(strings.TrimSpace(errs[loc[1]:end]), ".")
			if n == len(users)+1 {
				continue // aclEnd: every line before it was accepted
			}
			if n < 1 || n > len(users) {
				bad = append(bad, why)
				continue
			}
			bad = append(bad, fmt.Sprintf("the line \"user %s\": %s", RedactRule(users[n-1]), redactModifier(why)))
		}
		if len(locs) == 0 {
			return fmt.Errorf("redis-server would not start: %s", strings.TrimSpace(errs))
		}
		if len(bad) == 0 {
			return nil
		}
		return fmt.Errorf("redis-server would not start: it refuses %s", strings.Join(bad, "; and "))
	}
	// It stopped before the ACL file: a module, most likely. Its
	// warnings since it initialized say why.
	var why []string
	started := false
	for _, l := range strings.Split(out, "\n") {
		_, msg, ok := strings.Cut(l, " # ")
		msg = strings.TrimSpace(msg)
		switch {
		case !ok:
		case msg == "Server initialized":
			started = true
		case started && !strings.HasPrefix(msg, "WARNING"):
			why = append(why, msg)
		}
	}
	switch {
	case len(why) > 0:
		return fmt.Errorf("redis-server would not start: %s", strings.Join(why, "; "))
	case exitCode == 124:
		return fmt.Errorf("redis-server did not stop at the end of the check")
	}
	msg := strings.TrimSpace(out)
	if msg == "" {
		msg = fmt.Sprintf("exit status %d", exitCode)
	}
	return fmt.Errorf("redis-server could not check the file: %s", msg)
}

// quotedModifier is a rule Redis quotes in an error: "operation '>x'".
var quotedModifier = regexp.MustCompile(`'([><#!])[^']*'`)

// redactModifier redacts a password or hash Redis quotes in an error.
func redactModifier(why string) string {
	return quotedModifier.ReplaceAllString(why, "'${1}(sensitive)'")
}
