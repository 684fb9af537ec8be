package resp

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRoundTrip(t *testing.T) {
	tests := map[string]struct {
		wire string
		want Value
	}{
		"status":      {"+OK\r\n", Status("OK")},
		"error":       {"-ERR no\r\n", Err("ERR no")},
		"integer":     {":-42\r\n", Int(-42)},
		"bulk":        {"$5\r\nhe\r\no\r\n", Bulk("he\r\no")},
		"empty bulk":  {"$0\r\n\r\n", Bulk("")},
		"nil bulk":    {"$-1\r\n", NilBulk()},
		"nil array":   {"*-1\r\n", Value{Type: Array, Nil: true}},
		"empty array": {"*0\r\n", Arr()},
		"nested":      {"*2\r\n*1\r\n:1\r\n$1\r\na\r\n", Arr(Arr(Int(1)), Bulk("a"))},
		"resp3 map":   {"%1\r\n+k\r\n,1.5\r\n", Value{Type: Map, Elems: []Value{Status("k"), {Type: Double, Str: "1.5"}}}},
		"resp3 null":  {"_\r\n", Value{Type: Null, Nil: true}},
		"resp3 bool":  {"#t\r\n", Value{Type: Boolean, Int: 1}},
		"resp3 set":   {"~1\r\n$1\r\nx\r\n", Value{Type: Set, Elems: []Value{Bulk("x")}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Parse([]byte(tc.wire))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("Parse (-want +got):\n%s", d)
			}
			if back := string(got.Append(nil)); back != tc.wire {
				t.Errorf("Append = %q, want %q", back, tc.wire)
			}
		})
	}
}

func TestMalformed(t *testing.T) {
	for name, wire := range map[string]string{
		"no crlf":         "+OK\n",
		"bad integer":     ":x\r\n",
		"bad length":      "$x\r\n",
		"short bulk":      "$5\r\nab\r\n",
		"unknown type":    "?1\r\n",
		"trailing":        "+OK\r\n+OK\r\n",
		"huge bulk":       "$999999999999\r\n",
		"array cut short": "*2\r\n:1\r\n",
	} {
		if _, err := Parse([]byte(wire)); err == nil {
			t.Errorf("%s: Parse(%q) succeeded", name, wire)
		}
	}
}

func TestReaderStream(t *testing.T) {
	r := NewReader(strings.NewReader(string(AppendCommand(AppendCommand(nil, "SET", "k", "v"), "GET", "k"))))
	var got []Value
	for {
		v, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	want := []Value{Arr(Bulk("SET"), Bulk("k"), Bulk("v")), Arr(Bulk("GET"), Bulk("k"))}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("read (-want +got):\n%s", d)
	}
	if _, err := NewReader(strings.NewReader("*2\r\n$3\r\nGET")).Read(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("cut short: %v, want io.ErrUnexpectedEOF", err)
	}
}
