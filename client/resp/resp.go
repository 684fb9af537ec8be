// Package resp reads and writes values of the Redis protocol (RESP2, and
// the RESP3 types a server may answer with). roma cli uses it to print
// replies the way redis-cli does and to read commands given as RESP on
// standard input; the client package uses it to merge the raw replies of a
// command split across partitions.
//
// Package resp imports only the standard library.
package resp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Type is the first byte of a RESP value.
type Type byte

// The RESP types.
const (
	SimpleString Type = '+'
	Error        Type = '-'
	Integer      Type = ':'
	BulkString   Type = '$'
	Array        Type = '*'
	Null         Type = '_' // RESP3
	Double       Type = ',' // RESP3
	Boolean      Type = '#' // RESP3
	BigNumber    Type = '(' // RESP3
	BlobError    Type = '!' // RESP3
	Verbatim     Type = '=' // RESP3
	Map          Type = '%' // RESP3
	Set          Type = '~' // RESP3
	Attribute    Type = '|' // RESP3
	Push         Type = '>' // RESP3
)

// Value is one RESP value.
type Value struct {
	Type  Type
	Str   string  // SimpleString, Error, BulkString, Double, BigNumber, BlobError, Verbatim
	Int   int64   // Integer; Boolean as 0 or 1
	Elems []Value // Array, Set, Push; Map and Attribute as key, value, key, value...
	Nil   bool    // a RESP2 null bulk string or null array, or RESP3 Null
}

// Status is a simple string reply, such as OK.
func Status(s string) Value { return Value{Type: SimpleString, Str: s} }

// Err is an error reply.
func Err(s string) Value { return Value{Type: Error, Str: s} }

// Int is an integer reply.
func Int(n int64) Value { return Value{Type: Integer, Int: n} }

// Bulk is a bulk string reply.
func Bulk(s string) Value { return Value{Type: BulkString, Str: s} }

// NilBulk is the RESP2 null reply (redis-cli's "(nil)").
func NilBulk() Value { return Value{Type: BulkString, Nil: true} }

// Arr is an array reply.
func Arr(e ...Value) Value { return Value{Type: Array, Elems: e} }

// IsError reports whether v is an error reply.
func (v Value) IsError() bool { return v.Type == Error || v.Type == BlobError }

// MaxBulk bounds the length of a bulk string, as Redis's proto-max-bulk-len
// does by default.
const MaxBulk = 512 << 20

// maxElems bounds the element count of an aggregate read from the wire.
const maxElems = 1 << 28

// ErrProtocol is wrapped by every error about malformed input.
var ErrProtocol = errors.New("protocol error")

// Reader reads RESP values from a stream.
type Reader struct {
	r    *bufio.Reader
	buf  []byte // ReadCommand's arguments, end to end
	ends []int  // where each argument ends in buf
}

// NewReader returns a Reader of r.
func NewReader(r io.Reader) *Reader {
	if br, ok := r.(*bufio.Reader); ok {
		return &Reader{r: br}
	}
	return &Reader{r: bufio.NewReaderSize(r, 64<<10)}
}

// Parse decodes the one value b holds (more bytes after it are an error).
func Parse(b []byte) (Value, error) {
	r := &Reader{r: bufio.NewReader(bytes.NewReader(b))}
	v, err := r.Read()
	if err != nil {
		return Value{}, err
	}
	if r.r.Buffered() > 0 {
		return Value{}, fmt.Errorf("%w: %d bytes after the value", ErrProtocol, r.r.Buffered())
	}
	return v, nil
}

// Read reads the next value. At the end of the stream it returns io.EOF;
// a value cut short gives io.ErrUnexpectedEOF.
func (r *Reader) Read() (Value, error) {
	line, err := r.line()
	if err != nil {
		return Value{}, err
	}
	return r.value(line, 0)
}

// ErrNotCommand is returned by [Reader.ReadCommand] for a well-formed
// value that is not an array of strings.
var ErrNotCommand = errors.New("not a command: RESP input must be arrays of strings")

// ReadCommand reads the next value, which must be an array of bulk or
// simple strings (a command, as a client sends it), and appends its
// elements to args as strings. It reads what [Reader.Read] reads and fails
// where Read fails; a value Read would return that is not a non-nil array
// of non-nil bulk or simple strings gives [ErrNotCommand] (or, when the
// value is cut short or malformed past that point, Read's error). The
// arguments share one allocation.
func (r *Reader) ReadCommand(args []any) ([]any, error) {
	if err := r.readCommand(); err != nil {
		return args, err
	}
	all := string(r.buf)
	start := 0
	for _, end := range r.ends {
		args = append(args, all[start:end])
		start = end
	}
	if cap(r.buf) > 1<<20 {
		r.buf = nil // do not hold on to a huge argument
	}
	return args, nil
}

// ReadCommandBytes is ReadCommand that appends the arguments to args as
// byte slices, without copying them: they are valid until the Reader's
// next read.
func (r *Reader) ReadCommandBytes(args [][]byte) ([][]byte, error) {
	if cap(r.buf) > 1<<20 {
		r.buf = nil // do not hold on to a huge argument
	}
	if err := r.readCommand(); err != nil {
		return args, err
	}
	start := 0
	for _, end := range r.ends {
		args = append(args, r.buf[start:end:end])
		start = end
	}
	return args, nil
}

// readCommand reads a command's arguments into r.buf, end to end, and
// their ends into r.ends.
func (r *Reader) readCommand() error {
	line, err := r.line()
	if err != nil {
		return err
	}
	if Type(line[0]) != Array {
		return r.notCommand(line, 0)
	}
	n, err := r.length(line[1:], maxElems)
	if err != nil {
		return err
	}
	if n < 0 {
		return ErrNotCommand
	}
	r.buf, r.ends = r.buf[:0], r.ends[:0]
	for i := range n {
		line, err := r.line()
		if err != nil {
			return unexpected(err)
		}
		switch t, rest := Type(line[0]), line[1:]; t {
		case SimpleString:
			r.buf = append(r.buf, rest...)
		case BulkString:
			k, err := r.length(rest, MaxBulk)
			if err != nil {
				return err
			}
			if k < 0 {
				return r.skip(n-i-1, ErrNotCommand)
			}
			start := len(r.buf)
			r.buf = append(r.buf, make([]byte, k+2)...)
			b := r.buf[start:]
			if _, err := io.ReadFull(r.r, b); err != nil {
				return unexpected(err)
			}
			if b[k] != '\r' || b[k+1] != '\n' {
				return fmt.Errorf("%w: bulk string not followed by CRLF", ErrProtocol)
			}
			r.buf = r.buf[:start+k]
		default:
			if err := r.notCommand(line, 1); err != ErrNotCommand {
				return err
			}
			return r.skip(n-i-1, ErrNotCommand)
		}
		r.ends = append(r.ends, len(r.buf))
	}
	return nil
}

// notCommand reads the rest of the value line starts, as Read would, and
// returns Read's error, or ErrNotCommand when it read it whole.
func (r *Reader) notCommand(line []byte, depth int) error {
	if _, err := r.value(line, depth); err != nil {
		return err
	}
	return ErrNotCommand
}

// skip reads the n values left of an array, as Read would, and returns
// Read's error, or err when it read them whole.
func (r *Reader) skip(n int, err error) error {
	for range n {
		line, lerr := r.line()
		if lerr != nil {
			return unexpected(lerr)
		}
		if _, verr := r.value(line, 1); verr != nil {
			return verr
		}
	}
	return err
}

func (r *Reader) line() ([]byte, error) {
	line, err := r.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		return nil, fmt.Errorf("%w: line longer than %d bytes", ErrProtocol, r.r.Size())
	}
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("%w: line %q does not end in CRLF", ErrProtocol, line)
	}
	return line[:len(line)-2], nil
}

func (r *Reader) value(line []byte, depth int) (Value, error) {
	if depth > 64 {
		return Value{}, fmt.Errorf("%w: nested too deep", ErrProtocol)
	}
	t, rest := Type(line[0]), line[1:]
	switch t {
	case SimpleString, Error, Double, BigNumber:
		return Value{Type: t, Str: string(rest)}, nil
	case Integer:
		n, err := strconv.ParseInt(string(rest), 10, 64)
		if err != nil {
			return Value{}, fmt.Errorf("%w: integer %q", ErrProtocol, rest)
		}
		return Value{Type: t, Int: n}, nil
	case Null:
		return Value{Type: t, Nil: true}, nil
	case Boolean:
		switch string(rest) {
		case "t":
			return Value{Type: t, Int: 1}, nil
		case "f":
			return Value{Type: t}, nil
		}
		return Value{}, fmt.Errorf("%w: boolean %q", ErrProtocol, rest)
	case BulkString, BlobError, Verbatim:
		n, err := r.length(rest, MaxBulk)
		if err != nil || n < 0 {
			return Value{Type: t, Nil: n < 0}, err
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(r.r, b); err != nil {
			return Value{}, unexpected(err)
		}
		if b[n] != '\r' || b[n+1] != '\n' {
			return Value{}, fmt.Errorf("%w: bulk string not followed by CRLF", ErrProtocol)
		}
		return Value{Type: t, Str: string(b[:n])}, nil
	case Array, Set, Push, Map, Attribute:
		n, err := r.length(rest, maxElems)
		if err != nil || n < 0 {
			return Value{Type: t, Nil: n < 0}, err
		}
		if t == Map || t == Attribute {
			n *= 2
		}
		v := Value{Type: t}
		if n > 0 {
			v.Elems = make([]Value, 0, min(n, 1024))
		}
		for range n {
			line, err := r.line()
			if err != nil {
				return Value{}, unexpected(err)
			}
			e, err := r.value(line, depth+1)
			if err != nil {
				return Value{}, err
			}
			v.Elems = append(v.Elems, e)
		}
		return v, nil
	}
	return Value{}, fmt.Errorf("%w: unknown type byte %q", ErrProtocol, line[0])
}

func (r *Reader) length(b []byte, limit int) (int, error) {
	n, err := strconv.Atoi(string(b))
	switch {
	case err != nil || n < -1:
		return 0, fmt.Errorf("%w: length %q", ErrProtocol, b)
	case n > limit:
		return 0, fmt.Errorf("%w: length %d is over the limit of %d", ErrProtocol, n, limit)
	}
	return n, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Append appends v's encoding to b.
func (v Value) Append(b []byte) []byte {
	b = append(b, byte(v.Type))
	switch v.Type {
	case SimpleString, Error, Double, BigNumber:
		b = append(b, v.Str...)
	case Integer:
		b = strconv.AppendInt(b, v.Int, 10)
	case Boolean:
		if v.Int != 0 {
			b = append(b, 't')
		} else {
			b = append(b, 'f')
		}
	case Null:
	case BulkString, BlobError, Verbatim:
		if v.Nil {
			return append(b, "-1\r\n"...)
		}
		b = strconv.AppendInt(b, int64(len(v.Str)), 10)
		b = append(b, "\r\n"...)
		b = append(b, v.Str...)
	default: // aggregates
		if v.Nil {
			return append(b, "-1\r\n"...)
		}
		n := len(v.Elems)
		if v.Type == Map || v.Type == Attribute {
			n /= 2
		}
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, "\r\n"...)
		for _, e := range v.Elems {
			b = e.Append(b)
		}
		return b
	}
	return append(b, "\r\n"...)
}

// SkipReply reads the next value without keeping it, as a client reading
// replies it only counts does. When the value is an error, it returns
// the error's text and true. It fails where Read fails.
func (r *Reader) SkipReply() (string, bool, error) {
	line, err := r.line()
	if err != nil {
		return "", false, err
	}
	if t := Type(line[0]); t == Error {
		return string(line[1:]), true, nil
	} else if t == BlobError {
		v, err := r.value(line, 0)
		return v.Str, err == nil, err
	}
	return "", false, r.skipValue(line, 0)
}

// skipValue reads the rest of the value line starts, keeping nothing.
func (r *Reader) skipValue(line []byte, depth int) error {
	if depth > 64 {
		return fmt.Errorf("%w: nested too deep", ErrProtocol)
	}
	t, rest := Type(line[0]), line[1:]
	switch t {
	case BulkString, BlobError, Verbatim:
		n, err := r.length(rest, MaxBulk)
		if err != nil || n < 0 {
			return err
		}
		if _, err := r.r.Discard(n); err != nil {
			return unexpected(err)
		}
		crlf, err := r.r.Peek(2)
		if err != nil {
			return unexpected(err)
		}
		if crlf[0] != '\r' || crlf[1] != '\n' {
			return fmt.Errorf("%w: bulk string not followed by CRLF", ErrProtocol)
		}
		_, _ = r.r.Discard(2)
		return nil
	case Array, Set, Push, Map, Attribute:
		n, err := r.length(rest, maxElems)
		if err != nil || n < 0 {
			return err
		}
		if t == Map || t == Attribute {
			n *= 2
		}
		for range n {
			line, err := r.line()
			if err != nil {
				return unexpected(err)
			}
			if err := r.skipValue(line, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	_, err := r.value(line, depth)
	return err
}

// AppendCommandBytes is AppendCommand for arguments as byte slices.
func AppendCommandBytes(b []byte, args ...[]byte) []byte { return appendCommand(b, args) }

// AppendCommand appends a command, as an array of bulk strings, to b.
func AppendCommand(b []byte, args ...string) []byte { return appendCommand(b, args) }

func appendCommand[S string | []byte](b []byte, args []S) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, "\r\n"...)
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, "\r\n"...)
		b = append(b, a...)
		b = append(b, "\r\n"...)
	}
	return b
}
