package hclspec

import (
	"bytes"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/roma-redis/roma/cluster"
)

// minScrubLen is the shortest secret scrubbed wherever it appears: shorter
// ones would mangle ordinary words, so they are scrubbed only where they
// appear quoted, which is how messages print values. The validator refuses
// passwords this short anyway.
const minScrubLen = 4

// secrets are what no message may show: the values of sensitive variables,
// and the source ranges that hold them (a sensitive variable's default, the
// values in a -var-file).
type secrets struct {
	values []string
	ranges []hcl.Range
}

// Scrub returns diags with every sensitive variable's value replaced by
// (sensitive) in summaries and details, and with expression values dropped,
// so no diagnostic printer can show a secret. Snippets are scrubbed when
// they are made (see Config.JSONDiagnostics).
func (c *Config) Scrub(diags hcl.Diagnostics) hcl.Diagnostics {
	out := make(hcl.Diagnostics, len(diags))
	for i, d := range diags {
		cp := *d
		cp.Summary = c.scrubString(cp.Summary)
		cp.Detail = c.scrubString(cp.Detail)
		cp.Expression, cp.EvalContext = nil, nil
		out[i] = &cp
	}
	return out
}

func (c *Config) scrubString(s string) string {
	for _, secret := range c.secrets.values {
		switch {
		case secret == "":
		case len(secret) >= minScrubLen:
			s = strings.ReplaceAll(s, secret, cluster.Redacted)
		default:
			s = strings.ReplaceAll(s, strconv.Quote(secret), cluster.Redacted)
		}
	}
	return s
}

// redactLine returns one source line (starting at byte offset lineStart of
// file) with every secret in it replaced by (sensitive), and a function
// that maps a byte offset in the line to the matching offset in the result
// (an offset inside a secret maps to the start of (sensitive), or with end
// to its end).
func (c *Config) redactLine(file string, lineStart int, line []byte) (string, func(o int, end bool) int) {
	var cuts [][2]int // [from, to) within line
	for _, r := range c.secrets.ranges {
		if r.Filename != file {
			continue
		}
		from, to := max(r.Start.Byte-lineStart, 0), min(r.End.Byte-lineStart, len(line))
		if from < to {
			cuts = append(cuts, [2]int{from, to})
		}
	}
	for _, secret := range c.secrets.values {
		if secret == "" {
			continue
		}
		pat := secret
		if len(secret) < minScrubLen {
			pat = strconv.Quote(secret)
		}
		for at := 0; ; {
			i := bytes.Index(line[at:], []byte(pat))
			if i < 0 {
				break
			}
			cuts = append(cuts, [2]int{at + i, at + i + len(pat)})
			at += i + len(pat)
		}
	}
	if len(cuts) == 0 {
		return string(line), func(o int, _ bool) int { return o }
	}
	cuts = mergeCuts(cuts)
	var b strings.Builder
	prev := 0
	for _, cut := range cuts {
		b.Write(line[prev:cut[0]])
		b.WriteString(cluster.Redacted)
		prev = cut[1]
	}
	b.Write(line[prev:])
	shift := func(o int, end bool) int {
		delta := 0
		for _, cut := range cuts {
			switch {
			case o <= cut[0]:
				return o + delta
			case o < cut[1] && end:
				return cut[0] + delta + len(cluster.Redacted)
			case o < cut[1]:
				return cut[0] + delta
			}
			delta += len(cluster.Redacted) - (cut[1] - cut[0])
		}
		return o + delta
	}
	return b.String(), shift
}

// mergeCuts sorts cuts and joins those that overlap or touch.
func mergeCuts(cuts [][2]int) [][2]int {
	sort.Slice(cuts, func(i, j int) bool { return cuts[i][0] < cuts[j][0] })
	out := cuts[:1]
	for _, c := range cuts[1:] {
		last := &out[len(out)-1]
		if c[0] <= last[1] {
			last[1] = max(last[1], c[1])
			continue
		}
		out = append(out, c)
	}
	return out
}
