package redisconf

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

var memoryToken = regexp.MustCompile(`^(-?\d+)([kKmMgG][bB]?)$`)

// Normalize returns a directive's value in the form CONFIG GET reports it,
// so that a declared value and a live one compare equal exactly when Redis
// would treat them as the same: memory units become bytes ("1kb" is 1024,
// "1k" is 1000, as in redis.conf), words are lower-cased, runs of blanks
// collapse, and the flags of notify-keyspace-events are sorted.
func Normalize(name string, values []string) string {
	if name == "notify-keyspace-events" {
		return sortedFlags(strings.Join(strings.Fields(strings.Join(values, "")), ""))
	}
	var toks []string
	for _, v := range values {
		for _, t := range strings.Fields(v) {
			toks = append(toks, normToken(t))
		}
	}
	if name == "client-output-buffer-limit" {
		for i, t := range toks {
			if t == "slave" {
				toks[i] = "replica"
			}
		}
	}
	return strings.Join(toks, " ")
}

func normToken(t string) string {
	if m := memoryToken.FindStringSubmatch(t); m != nil {
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err == nil {
			mult := map[string]int64{
				"k": 1000, "kb": 1 << 10, "m": 1000 * 1000, "mb": 1 << 20,
				"g": 1000 * 1000 * 1000, "gb": 1 << 30,
			}[strings.ToLower(m[2])]
			return strconv.FormatInt(n*mult, 10)
		}
	}
	switch strings.ToLower(t) {
	case "yes", "no", "true", "false", "on", "off":
		return map[string]string{"yes": "yes", "true": "yes", "on": "yes", "no": "no", "false": "no", "off": "no"}[strings.ToLower(t)]
	}
	if isWord(t) {
		return strings.ToLower(t)
	}
	return t
}

func isWord(t string) bool {
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func sortedFlags(s string) string {
	r := []rune(s)
	// Redis spells "all event classes" as A; expand nothing, just order.
	sort.Slice(r, func(i, j int) bool { return r[i] < r[j] })
	return string(r)
}

// Same reports whether the live value of directive name, as CONFIG GET
// returned it, matches the declared values. For client-output-buffer-limit
// only the client classes that were declared are compared.
func Same(name string, declared []string, live string) bool {
	want := Normalize(name, declared)
	got := Normalize(name, []string{live})
	if name == "client-output-buffer-limit" {
		return classesMatch(want, got)
	}
	if name == "notify-keyspace-events" {
		return expandNotify(want) == expandNotify(got)
	}
	return want == got
}

func classesMatch(want, got string) bool {
	w, g := strings.Fields(want), strings.Fields(got)
	have := map[string]string{}
	for i := 0; i+3 < len(g); i += 4 {
		have[g[i]] = strings.Join(g[i+1:i+4], " ")
	}
	if len(w)%4 != 0 {
		return false
	}
	for i := 0; i+3 < len(w); i += 4 {
		if have[w[i]] != strings.Join(w[i+1:i+4], " ") {
			return false
		}
	}
	return true
}

// expandNotify spells out the alias A (all classes: g$lshzxetd) so that
// "AKE" and "KEg$lshzxetd" compare equal; Redis itself reports the short
// form.
func expandNotify(flags string) string {
	set := map[rune]bool{}
	for _, r := range flags {
		if r == 'A' {
			for _, c := range "g$lshzxetd" {
				set[c] = true
			}
			continue
		}
		set[r] = true
	}
	var out []rune
	for r := range set {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return string(out)
}
