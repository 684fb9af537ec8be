package resp

import (
	"bufio"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// readCommandByRead is what ReadCommand must do, written with Read.
func readCommandByRead(r *Reader) ([]any, error) {
	v, err := r.Read()
	if err != nil {
		return nil, err
	}
	if v.Type != Array || v.Nil {
		return nil, ErrNotCommand
	}
	var out []any
	for _, e := range v.Elems {
		if e.Type != BulkString && e.Type != SimpleString || e.Nil {
			return nil, ErrNotCommand
		}
		out = append(out, e.Str)
	}
	return out, nil
}

func TestReadCommand(t *testing.T) {
	inputs := []string{
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
		"*0\r\n*1\r\n+PING\r\n",
		"*2\r\n$3\r\nGET\r\n$0\r\n\r\n",
		"*-1\r\n",
		"*2\r\n$-1\r\n$3\r\nabc\r\n",
		"*2\r\n$-1\r\n$3\r\nab",
		"*2\r\n:1\r\n$3\r\nabc\r\n",
		"*2\r\n*1\r\n$1\r\na\r\n$3\r\nabc\r\n",
		"*2\r\n*1\r\n$1\r\na\r\n$3\r\nabcd\r\n",
		"*2\r\n:x\r\n",
		"$3\r\nabc\r\n",
		"$3\r\nabcX\r\n",
		":5\r\n",
		"*2\r\n$3\r\nabcXY",
		"*2\r\n$3\r\nabc\r\n",
		"*2\r\n$3\r\nabc\r\n$x\r\n",
		"*x\r\n",
		"*1\r\n?\r\n",
		"*1\r\n$3\r\nabc\n",
		"*1\r\n+abc\n",
		"",
		"*3\r\n$3\r\nSET\r\n$4\r\n{k}a\r\n$2\r\n\r\n\r\n",
	}
	for _, in := range inputs {
		a := NewReader(bufio.NewReader(strings.NewReader(in)))
		b := NewReader(bufio.NewReader(strings.NewReader(in)))
		c := NewReader(bufio.NewReader(strings.NewReader(in)))
		for i := 0; ; i++ {
			want, werr := readCommandByRead(a)
			got, gerr := b.ReadCommand(nil)
			if fmt.Sprint(werr) != fmt.Sprint(gerr) || (werr == nil && fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want)) {
				t.Errorf("%q, command %d: ReadCommand = %q, %v; want %q, %v", in, i, got, gerr, want, werr)
				break
			}
			gotb, berr := c.ReadCommandBytes(nil)
			asAny := make([]any, len(gotb))
			for k, a := range gotb {
				asAny[k] = string(a)
			}
			if fmt.Sprint(werr) != fmt.Sprint(berr) || (werr == nil && fmt.Sprintf("%q", asAny) != fmt.Sprintf("%q", want)) {
				t.Errorf("%q, command %d: ReadCommandBytes = %q, %v; want %q, %v", in, i, asAny, berr, want, werr)
				break
			}
			if werr != nil {
				if errors.Is(werr, ErrNotCommand) != errors.Is(gerr, ErrNotCommand) {
					t.Errorf("%q: error kinds differ", in)
				}
				break
			}
		}
	}
}

// TestSkipReply checks SkipReply against Read on replies of every type,
// one after another in a stream, and on malformed ones.
func TestSkipReply(t *testing.T) {
	inputs := []string{
		"+OK\r\n-ERR wrong\r\n:42\r\n$5\r\nhello\r\n$-1\r\n*-1\r\n*0\r\n",
		"*3\r\n$1\r\na\r\n*1\r\n-ERR inner\r\n:7\r\n+after\r\n",
		"%1\r\n+k\r\n,1.5\r\n_\r\n#t\r\n~1\r\n$1\r\nx\r\n!5\r\nboom!\r\n=7\r\ntxt:abc\r\n",
		"$5\r\nhel\r\n",
		"$5\r\nhelloXY",
		"$5\r\nhel",
		"*2\r\n:1\r\n",
		"?\r\n",
		":x\r\n",
		"+OK\n",
	}
	for _, in := range inputs {
		a := NewReader(bufio.NewReader(strings.NewReader(in)))
		b := NewReader(bufio.NewReader(strings.NewReader(in)))
		for i := 0; ; i++ {
			want, werr := a.Read()
			msg, isErr, gerr := b.SkipReply()
			if (werr == nil) != (gerr == nil) || (werr != nil && !errors.Is(gerr, ErrProtocol) && fmt.Sprint(werr) != fmt.Sprint(gerr)) {
				t.Errorf("%q, reply %d: SkipReply error %v; Read's %v", in, i, gerr, werr)
				break
			}
			if werr != nil {
				break
			}
			if isErr != want.IsError() || (isErr && msg != want.Str) {
				t.Errorf("%q, reply %d: SkipReply = %q, %v; Read gave %+v", in, i, msg, isErr, want)
			}
		}
	}
}

// TestAppendCommand: what AppendCommand and AppendCommandBytes write,
// ReadCommand reads back.
func TestAppendCommand(t *testing.T) {
	args := []string{"SET", "k", "", "a\r\nb", "{tag}x"}
	var bs [][]byte
	for _, a := range args {
		bs = append(bs, []byte(a))
	}
	for name, wire := range map[string][]byte{"strings": AppendCommand(nil, args...), "bytes": AppendCommandBytes(nil, bs...)} {
		got, err := NewReader(bufio.NewReader(strings.NewReader(string(wire)))).ReadCommand(nil)
		if err != nil || fmt.Sprintf("%q", got) != fmt.Sprintf("%q", args) {
			t.Errorf("%s: %q read back as %q, %v", name, wire, got, err)
		}
	}
}
