package main

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/roma-redis/roma/client/resp"
)

// replyFormat is how roma cli prints replies.
type replyFormat int

const (
	formatHuman replyFormat = iota // redis-cli's, on a terminal
	formatRaw                      // redis-cli --raw
	formatJSON                     // one JSON value per reply
)

// formatReply returns v as roma cli prints it, without the final newline.
func formatReply(f replyFormat, v resp.Value) string {
	switch f {
	case formatRaw:
		var b strings.Builder
		formatRawTo(&b, v)
		return b.String()
	case formatJSON:
		js, _ := json.Marshal(jsonOf(v))
		return string(js)
	}
	var b strings.Builder
	formatHumanTo(&b, v, "")
	return strings.TrimSuffix(b.String(), "\n")
}

// formatHumanTo writes v as redis-cli does on a terminal; prefix indents
// the lines of nested arrays after the first.
func formatHumanTo(b *strings.Builder, v resp.Value, prefix string) {
	switch v.Type {
	case resp.Error, resp.BlobError:
		b.WriteString("(error) " + v.Str + "\n")
	case resp.SimpleString:
		b.WriteString(v.Str + "\n")
	case resp.Integer:
		b.WriteString("(integer) " + strconv.FormatInt(v.Int, 10) + "\n")
	case resp.Double:
		b.WriteString("(double) " + v.Str + "\n")
	case resp.BigNumber:
		b.WriteString("(big number) " + v.Str + "\n")
	case resp.Boolean:
		if v.Int != 0 {
			b.WriteString("(true)\n")
		} else {
			b.WriteString("(false)\n")
		}
	case resp.Null:
		b.WriteString("(nil)\n")
	case resp.Verbatim: // "txt:" then the text
		s := v.Str
		if len(s) >= 4 && s[3] == ':' {
			s = s[4:]
		}
		b.WriteString(s + "\n")
	case resp.BulkString:
		if v.Nil {
			b.WriteString("(nil)\n")
			return
		}
		b.WriteString(quote(v.Str) + "\n")
	default:
		formatAggregate(b, v, prefix)
	}
}

func formatAggregate(b *strings.Builder, v resp.Value, prefix string) {
	if v.Nil {
		b.WriteString("(nil)\n")
		return
	}
	if len(v.Elems) == 0 {
		b.WriteString("(empty array)\n")
		return
	}
	step, sep := 1, ")"
	switch v.Type {
	case resp.Map, resp.Attribute:
		step, sep = 2, "#"
	case resp.Set:
		sep = "~"
	}
	n := len(v.Elems) / step
	width := len(strconv.Itoa(n))
	inner := prefix + strings.Repeat(" ", width+2)
	for i := 0; i < len(v.Elems); i += step {
		if i > 0 {
			b.WriteString(prefix)
		}
		fmt.Fprintf(b, "%*d%s ", width, i/step+1, sep)
		if step == 2 {
			var k strings.Builder
			formatHumanTo(&k, v.Elems[i], inner)
			b.WriteString(strings.TrimSuffix(k.String(), "\n") + " => ")
			formatHumanTo(b, v.Elems[i+1], inner)
			continue
		}
		formatHumanTo(b, v.Elems[i], inner)
	}
}

// quote is redis-cli's sdscatrepr: a double-quoted string with C escapes
// and \xHH for every byte that is not printable ASCII.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c >= 0x20 && c <= 0x7e {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, `\x%02x`, c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// formatRawTo writes v as redis-cli --raw does: strings as they are,
// integers in decimal, nil as nothing, array elements one per line.
func formatRawTo(b *strings.Builder, v resp.Value) {
	switch v.Type {
	case resp.Integer:
		b.WriteString(strconv.FormatInt(v.Int, 10))
	case resp.Boolean:
		if v.Int != 0 {
			b.WriteString("1")
		} else {
			b.WriteString("0")
		}
	case resp.Array, resp.Set, resp.Push, resp.Map, resp.Attribute:
		for i, e := range v.Elems {
			if i > 0 {
				b.WriteByte('\n')
			}
			formatRawTo(b, e)
		}
	default:
		if !v.Nil {
			b.WriteString(v.Str)
		}
	}
}

// jsonOf is v as a JSON value: strings, numbers, null, arrays, objects
// for maps; an error is {"error": message}.
func jsonOf(v resp.Value) any {
	if v.Nil {
		return nil
	}
	switch v.Type {
	case resp.Error, resp.BlobError:
		return map[string]string{"error": v.Str}
	case resp.Integer:
		return v.Int
	case resp.Boolean:
		return v.Int != 0
	case resp.Double:
		f, err := strconv.ParseFloat(v.Str, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return v.Str
		}
		return f
	case resp.Array, resp.Set, resp.Push:
		out := make([]any, len(v.Elems))
		for i, e := range v.Elems {
			out[i] = jsonOf(e)
		}
		return out
	case resp.Map, resp.Attribute:
		out := map[string]any{}
		for i := 0; i+1 < len(v.Elems); i += 2 {
			out[formatReply(formatRaw, v.Elems[i])] = jsonOf(v.Elems[i+1])
		}
		return out
	}
	return v.Str
}
