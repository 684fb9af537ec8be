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
		for i := 0; ; i++ {
			want, werr := readCommandByRead(a)
			got, gerr := b.ReadCommand(nil)
			if fmt.Sprint(werr) != fmt.Sprint(gerr) || (werr == nil && fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want)) {
				t.Errorf("%q, command %d: ReadCommand = %q, %v; want %q, %v", in, i, got, gerr, want, werr)
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
