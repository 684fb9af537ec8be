package client

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/roma-redis/roma/providers/hash"
)

// keyFinder returns the positions of a command's keys in its arguments
// (args[0] is the command name). The arity has been checked already. A
// finder fails with a detail message when the arguments that locate the
// keys are malformed.
type keyFinder func(args []any) ([]int, error)

var one = []int{1}

// errArity is a finder's way to say the argument count is wrong.
var errArity = errors.New("wrong number of arguments")

func keyAt(i int) keyFinder {
	if i == 1 {
		return func([]any) ([]int, error) { return one, nil }
	}
	pos := []int{i}
	return func([]any) ([]int, error) { return pos, nil }
}

// keyRange is COMMAND INFO's first, last and step: last may count from
// the end (-1 is the last argument).
func keyRange(first, last, step int) keyFinder {
	return func(args []any) ([]int, error) {
		l := last
		if l < 0 {
			l += len(args)
		}
		if step > 1 && (l-first+1)%step != 0 {
			return nil, errArity
		}
		out := make([]int, 0, (l-first)/step+1)
		for i := first; i <= l; i += step {
			out = append(out, i)
		}
		return out, nil
	}
}

// numKeys finds keys counted by a numkeys argument at pos; before is the
// position of one key before it (ZUNIONSTORE's destination), or 0.
func numKeys(pos, before int) keyFinder {
	return func(args []any) ([]int, error) {
		n, err := strconv.Atoi(argString(args[pos]))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("numkeys %q is not a non-negative number", argString(args[pos]))
		}
		if pos+n >= len(args) && n > 0 {
			return nil, fmt.Errorf("numkeys is %d but only %d arguments follow it", n, len(args)-pos-1)
		}
		var out []int
		if before > 0 {
			out = append(out, before)
		}
		for i := pos + 1; i <= pos+n; i++ {
			out = append(out, i)
		}
		return out, nil
	}
}

// subKey finds the key of a command whose subcommand (args[1]) is one of
// subs, at args[2]. Other subcommands (HELP, STATS...) have no key.
func subKey(subs ...string) keyFinder {
	pos := []int{2}
	return func(args []any) ([]int, error) {
		sub := argString(args[1])
		for _, s := range subs {
			if strings.EqualFold(sub, s) {
				if len(args) < 3 {
					return nil, fmt.Errorf("%s needs a key", strings.ToUpper(s))
				}
				return pos, nil
			}
		}
		return nil, nil
	}
}

// streamKeys finds XREAD's and XREADGROUP's keys: the first half of the
// arguments after STREAMS.
func streamKeys(args []any) ([]int, error) {
	for i := 1; i < len(args); i++ {
		if strings.EqualFold(argString(args[i]), "streams") {
			rest := len(args) - i - 1
			if rest == 0 || rest%2 != 0 {
				return nil, fmt.Errorf("STREAMS needs as many IDs as keys")
			}
			out := make([]int, 0, rest/2)
			for j := i + 1; j <= i+rest/2; j++ {
				out = append(out, j)
			}
			return out, nil
		}
	}
	return nil, fmt.Errorf("no STREAMS argument")
}

// keyAndStore finds GEORADIUS's key and the keys after its STORE and
// STOREDIST options, which start at position opts.
func keyAndStore(opts int) keyFinder {
	return func(args []any) ([]int, error) {
		out := []int{1}
		for i := opts; i < len(args); i++ {
			switch strings.ToLower(argString(args[i])) {
			case "count":
				i++
				if i+1 < len(args) && strings.EqualFold(argString(args[i+1]), "any") {
					i++
				}
			case "store", "storedist":
				if i+1 >= len(args) {
					return nil, fmt.Errorf("%s needs a key", strings.ToUpper(argString(args[i])))
				}
				out = append(out, i+1)
				i++
			}
		}
		return out, nil
	}
}

// sortKeys finds SORT's (and SORT_RO's) key, its STORE destination, and
// the BY and GET patterns that read other keys. Redis reads the keys a
// pattern forms (its first '*' replaced by each element, up to a "->")
// on the sorted key's node, so a pattern counts as a key: one whose hash
// tag ends before its '*' forms keys of that tag's partition, and routes
// as that key would; any other may form keys of every partition, and is
// refused, as Redis Cluster refuses it. BY without a '*' (no sorting) and
// GET # read no key.
func sortKeys(args []any) ([]int, error) {
	out := []int{1}
	for i := 2; i < len(args); i++ {
		switch opt := strings.ToLower(argString(args[i])); opt {
		case "by", "get":
			if i+1 >= len(args) {
				return nil, fmt.Errorf("%s needs a pattern", strings.ToUpper(opt))
			}
			i++
			pat := argBytes(args[i])
			star := bytes.IndexByte(pat, '*')
			if star < 0 || (opt == "get" && string(pat) == "#") {
				continue
			}
			// The tag's '}' must come before the '*': the keys formed
			// then share the pattern's tag, whatever the elements hold.
			if tag := hash.HashedPart(pat); len(tag) == len(pat) || bytes.IndexByte(pat, '{')+1+len(tag) > star {
				return nil, cmdErr(strings.ToLower(argString(args[0])), ErrCrossPartition,
					"%s pattern %q may form keys of any partition: give it a hash tag before its '*' that puts its keys in the sorted key's partition, as in SORT {user1}.ids BY {user1}.weight_*",
					strings.ToUpper(opt), pat)
			}
			out = append(out, i)
		case "limit":
			i += 2
		case "store":
			if i+1 >= len(args) {
				return nil, fmt.Errorf("STORE needs a key")
			}
			out = append(out, i+1)
			i++
		}
	}
	return out, nil
}

// argString returns an argument as go-redis sends it.
func argString(a any) string {
	switch v := a.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return string(argBytes(a))
}

// argBytes returns an argument's bytes as go-redis writes them on the wire.
func argBytes(a any) []byte {
	switch v := a.(type) {
	case string:
		return []byte(v)
	case []byte:
		return v
	case *[]byte: // PartitionOfBytes's
		return *v
	case *string:
		if v == nil {
			return nil
		}
		return []byte(*v)
	case int:
		return strconv.AppendInt(nil, int64(v), 10)
	case int8:
		return strconv.AppendInt(nil, int64(v), 10)
	case int16:
		return strconv.AppendInt(nil, int64(v), 10)
	case int32:
		return strconv.AppendInt(nil, int64(v), 10)
	case int64:
		return strconv.AppendInt(nil, v, 10)
	case uint:
		return strconv.AppendUint(nil, uint64(v), 10)
	case uint8:
		return strconv.AppendUint(nil, uint64(v), 10)
	case uint16:
		return strconv.AppendUint(nil, uint64(v), 10)
	case uint32:
		return strconv.AppendUint(nil, uint64(v), 10)
	case uint64:
		return strconv.AppendUint(nil, v, 10)
	case float32:
		return strconv.AppendFloat(nil, float64(v), 'f', -1, 64)
	case float64:
		return strconv.AppendFloat(nil, v, 'f', -1, 64)
	case bool:
		if v {
			return []byte("1")
		}
		return []byte("0")
	case time.Time:
		return v.AppendFormat(nil, time.RFC3339Nano)
	case time.Duration:
		return strconv.AppendInt(nil, v.Nanoseconds(), 10)
	case encoding.BinaryMarshaler:
		b, err := v.MarshalBinary()
		if err == nil {
			return b
		}
	case nil:
		return nil
	}
	return fmt.Append(nil, a)
}
