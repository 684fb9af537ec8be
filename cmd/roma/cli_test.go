package main

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/roma-redis/roma/client/resp"
)

func TestFormatReply(t *testing.T) {
	nested := resp.Arr(resp.Bulk("a"), resp.Arr(resp.Int(1), resp.Arr(resp.Bulk("x"), resp.NilBulk())), resp.Status("OK"))
	var ten resp.Value = resp.Arr()
	for i := range 10 {
		ten.Elems = append(ten.Elems, resp.Int(int64(i)))
	}
	tests := map[string]struct {
		v                resp.Value
		human, raw, json string
	}{
		"status":         {resp.Status("OK"), "OK", "OK", `"OK"`},
		"error":          {resp.Err("ERR no"), "(error) ERR no", "ERR no", `{"error":"ERR no"}`},
		"integer":        {resp.Int(-3), "(integer) -3", "-3", "-3"},
		"bulk":           {resp.Bulk("two words"), `"two words"`, "two words", `"two words"`},
		"escapes":        {resp.Bulk("a\"b\\c\n\r\t\x01é"), `"a\"b\\c\n\r\t\x01\xc3\xa9"`, "a\"b\\c\n\r\t\x01é", `"a\"b\\c\n\r\t\u0001é"`},
		"nil":            {resp.NilBulk(), "(nil)", "", "null"},
		"nil array":      {resp.Value{Type: resp.Array, Nil: true}, "(nil)", "", "null"},
		"empty":          {resp.Arr(), "(empty array)", "", "[]"},
		"array":          {resp.Arr(resp.Bulk("a"), resp.NilBulk(), resp.Int(2)), "1) \"a\"\n2) (nil)\n3) (integer) 2", "a\n\n2", `["a",null,2]`},
		"nested":         {nested, "1) \"a\"\n2) 1) (integer) 1\n   2) 1) \"x\"\n      2) (nil)\n3) OK", "a\n1\nx\n\nOK", `["a",[1,["x",null]],"OK"]`},
		"wide array":     {ten, " 1) (integer) 0\n 2) (integer) 1\n 3) (integer) 2\n 4) (integer) 3\n 5) (integer) 4\n 6) (integer) 5\n 7) (integer) 6\n 8) (integer) 7\n 9) (integer) 8\n10) (integer) 9", "0\n1\n2\n3\n4\n5\n6\n7\n8\n9", `[0,1,2,3,4,5,6,7,8,9]`},
		"error in array": {resp.Arr(resp.Status("OK"), resp.Err("WRONGTYPE x")), "1) OK\n2) (error) WRONGTYPE x", "OK\nWRONGTYPE x", `["OK",{"error":"WRONGTYPE x"}]`},
		"resp3 map":      {resp.Value{Type: resp.Map, Elems: []resp.Value{resp.Bulk("k"), resp.Value{Type: resp.Double, Str: "1.5"}}}, "1# \"k\" => (double) 1.5", "k\n1.5", `{"k":1.5}`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := map[string]string{"human": formatReply(formatHuman, tc.v), "raw": formatReply(formatRaw, tc.v), "json": formatReply(formatJSON, tc.v)}
			want := map[string]string{"human": tc.human, "raw": tc.raw, "json": tc.json}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestBlockTimeout(t *testing.T) {
	type got struct {
		D       time.Duration
		Forever bool
	}
	tests := map[string]struct {
		args []string
		want got
	}{
		"GET":                      {[]string{"GET", "k"}, got{}},
		"BLPOP seconds":            {[]string{"BLPOP", "a", "b", "2"}, got{D: 2 * time.Second}},
		"BRPOP fraction":           {[]string{"brpop", "a", "0.5"}, got{D: 500 * time.Millisecond}},
		"BLPOP 0 blocks for ever":  {[]string{"BLPOP", "a", "0"}, got{Forever: true}},
		"BLMOVE":                   {[]string{"BLMOVE", "a", "b", "LEFT", "RIGHT", "3"}, got{D: 3 * time.Second}},
		"BLMPOP timeout first":     {[]string{"BLMPOP", "4", "1", "a", "LEFT"}, got{D: 4 * time.Second}},
		"BZMPOP 0":                 {[]string{"BZMPOP", "0", "1", "a", "MIN"}, got{Forever: true}},
		"XREAD BLOCK ms":           {[]string{"XREAD", "COUNT", "2", "BLOCK", "1500", "STREAMS", "s", "$"}, got{D: 1500 * time.Millisecond}},
		"XREAD no BLOCK":           {[]string{"XREAD", "STREAMS", "block", "0"}, got{}},
		"XREADGROUP BLOCK 0":       {[]string{"XREADGROUP", "GROUP", "g", "c", "block", "0", "STREAMS", "s", ">"}, got{Forever: true}},
		"WAIT ms":                  {[]string{"WAIT", "1", "250"}, got{D: 250 * time.Millisecond}},
		"WAITAOF 0":                {[]string{"WAITAOF", "1", "0", "0"}, got{Forever: true}},
		"not a number: Redis says": {[]string{"BLPOP", "a", "soon"}, got{}},
		"negative: Redis says":     {[]string{"BLPOP", "a", "-1"}, got{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			d, forever := blockTimeout(tc.args)
			if diff := cmp.Diff(tc.want, got{d, forever}); diff != "" {
				t.Errorf("blockTimeout(%q) (-want +got):\n%s", tc.args, diff)
			}
		})
	}
}

func TestSensitiveLine(t *testing.T) {
	tests := map[string]bool{
		"AUTH secret":                                   true,
		"auth default secret":                           true,
		`auth "open quote`:                              true,
		"HELLO 3 AUTH default secret":                   true,
		"hello 3 setname app":                           false,
		"ACL SETUSER app on >secret":                    true,
		"acl list":                                      false,
		"CONFIG SET requirepass secret":                 true,
		"config set maxmemory 1mb masterauth secret":    true,
		"config set masteruser app":                     true,
		"config get requirepass":                        false,
		"config set maxmemory 1mb":                      false,
		"MIGRATE h 6379 k 0 5000 AUTH secret":           true,
		"migrate h 6379 \"\" 0 5000 AUTH2 u p KEYS a b": true,
		"migrate h 6379 k 0 5000":                       false,
		"SET auth secret":                               false,
		"GET requirepass":                               false,
		`SET a "open quote`:                             false,
		"":                                              false,
	}
	for line, want := range tests {
		if got := sensitiveLine(line); got != want {
			t.Errorf("sensitiveLine(%q) = %v, want %v", line, got, want)
		}
	}
}
