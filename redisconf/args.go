package redisconf

import (
	"errors"
	"strconv"
)

// ErrBadArgs is a line that cannot be split: unbalanced quotes, or a
// closing quote not followed by a space. Redis refuses such a line in
// redis.conf ("Unbalanced quotes in configuration line"); redis-cli says
// "Invalid argument(s)".
var ErrBadArgs = errors.New("invalid argument(s): unbalanced quotes, or a closing quote not followed by a space")

// SplitArgs splits a line into arguments as Redis reads redis.conf and as
// redis-cli reads a command line (sdssplitargs):
// words separated by spaces; "double quotes" with \n \r \t \b \a \\ \"
// and \xHH escapes; 'single quotes' with \' only. A closing quote must be
// followed by a space or the end of the line.
func SplitArgs(line string) ([]string, error) {
	var out []string
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i == len(line) {
			return out, nil
		}
		var cur []byte
		inq, insq := false, false
		for done := false; !done; {
			if inq {
				switch {
				case i == len(line):
					return nil, ErrBadArgs
				case line[i] == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
					b, _ := strconv.ParseUint(line[i+2:i+4], 16, 8)
					cur = append(cur, byte(b))
					i += 3
				case line[i] == '\\' && i+1 < len(line):
					i++
					cur = append(cur, unescape(line[i]))
				case line[i] == '"':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, ErrBadArgs
					}
					done = true
				default:
					cur = append(cur, line[i])
				}
			} else if insq {
				switch {
				case i == len(line):
					return nil, ErrBadArgs
				case line[i] == '\\' && i+1 < len(line) && line[i+1] == '\'':
					i++
					cur = append(cur, '\'')
				case line[i] == '\'':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, ErrBadArgs
					}
					done = true
				default:
					cur = append(cur, line[i])
				}
			} else {
				switch {
				case i == len(line) || isSpace(line[i]):
					done = true
				case line[i] == '"':
					inq = true
				case line[i] == '\'':
					insq = true
				default:
					cur = append(cur, line[i])
				}
			}
			if i < len(line) {
				i++
			}
		}
		out = append(out, string(cur))
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f'
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
}
