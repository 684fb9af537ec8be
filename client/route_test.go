package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/client/resp"
	"github.com/roma-redis/roma/providers/hash"
	"github.com/roma-redis/roma/status"
)

// testView is a view of 4 partitions hashed with jump, whose clients
// never connect.
func testView(t testing.TB) *view {
	t.Helper()
	st := &status.Status{Cluster: "t", State: status.OK, Epoch: 3, Hash: "jump", Nodes: map[string]status.NodeState{}}
	for p := range 4 {
		m, r := fmt.Sprintf("m%d", p), fmt.Sprintf("r%d", p)
		st.Partitions = append(st.Partitions, status.Partition{Master: m, Replicas: []string{r}})
		st.Nodes[m] = status.NodeState{Addr: fmt.Sprintf("127.0.0.1:%d", 7000+p), Partition: p, Role: "master", State: status.NodeUp}
		st.Nodes[r] = status.NodeState{Addr: fmt.Sprintf("127.0.0.1:%d", 7100+p), Partition: p, Role: "replica", State: status.NodeUp}
	}
	o := &Options{Cluster: "t", Databases: map[string]int{"m2": 5}}
	ns := &nodeSet{nodes: map[string]*node{}, opts: func(addr string, db int) *redis.Options {
		return &redis.Options{Addr: addr, DB: db}
	}}
	t.Cleanup(ns.close)
	return buildView(st, o, ns, hash.New)
}

// keyIn returns keys of partition p among 4 (jump): name, name, ...
func keyIn(p, i int) string {
	f, _ := hash.New("jump")
	for n := 0; ; n++ {
		k := fmt.Sprintf("k%d", n)
		if q, _ := f.Partition([]byte(k), 4); q == p {
			if i == 0 {
				return k
			}
			i--
		}
	}
}

func TestRoute(t *testing.T) {
	v := testView(t)
	c := &Client{}
	a0, b0, a1, a2, a3 := keyIn(0, 0), keyIn(0, 1), keyIn(1, 0), keyIn(2, 0), keyIn(3, 0)
	type want struct {
		Part   int
		Keys   []int
		KParts []int
	}
	tests := map[string]struct {
		args []any
		want want
		err  error
	}{
		"get":                   {args: []any{"GET", a2}, want: want{Part: 2, Keys: []int{1}}},
		"set with options":      {args: []any{"set", a1, "v", "EX", 10}, want: want{Part: 1, Keys: []int{1}}},
		"hash tag":              {args: []any{"get", "{" + a3 + "}.profile"}, want: want{Part: 3, Keys: []int{1}}},
		"mget one partition":    {args: []any{"mget", a0, b0}, want: want{Part: 0, Keys: []int{1, 2}}},
		"mget split":            {args: []any{"mget", a0, a1, b0, a3}, want: want{Part: -1, Keys: []int{1, 2, 3, 4}, KParts: []int{0, 1, 0, 3}}},
		"mset split":            {args: []any{"mset", a2, "x", a0, "y"}, want: want{Part: -1, Keys: []int{1, 3}, KParts: []int{2, 0}}},
		"del split":             {args: []any{"del", a1, a2}, want: want{Part: -1, Keys: []int{1, 2}, KParts: []int{1, 2}}},
		"exists split":          {args: []any{"EXISTS", a3, a3, a0}, want: want{Part: -1, Keys: []int{1, 2, 3}, KParts: []int{3, 3, 0}}},
		"rename same partition": {args: []any{"rename", a0, b0}, want: want{Part: 0, Keys: []int{1, 2}}},
		"rename tagged":         {args: []any{"rename", "{u1}.a", "{u1}.b"}, want: want{Part: p("u1"), Keys: []int{1, 2}}},
		"rename across":         {args: []any{"rename", a0, a1}, err: ErrCrossPartition},
		"sunionstore across":    {args: []any{"sunionstore", a0, b0, a3}, err: ErrCrossPartition},
		"msetnx across":         {args: []any{"msetnx", a0, "1", a1, "2"}, err: ErrCrossPartition},
		"eval keys":             {args: []any{"eval", "return 1", 2, a0, b0, "arg"}, want: want{Part: 0, Keys: []int{3, 4}}},
		"eval across":           {args: []any{"EVAL", "return 1", "2", a0, a2}, err: ErrCrossPartition},
		"eval no keys":          {args: []any{"eval", "return 1", 0}, err: ErrNoKey},
		"eval bad numkeys":      {args: []any{"eval", "return 1", "x", a0}, err: ErrArgs},
		"eval numkeys too big":  {args: []any{"eval", "return 1", 3, a0}, err: ErrArgs},
		"zunionstore":           {args: []any{"zunionstore", a0, 2, b0, a0, "WEIGHTS", 1, 2}, want: want{Part: 0, Keys: []int{1, 3, 4}}},
		"zunionstore across":    {args: []any{"zunionstore", a1, 1, a0}, err: ErrCrossPartition},
		"blpop":                 {args: []any{"blpop", a0, b0, 5}, want: want{Part: 0, Keys: []int{1, 2}}},
		"bitop":                 {args: []any{"bitop", "and", a2, a2}, want: want{Part: 2, Keys: []int{2, 3}}},
		"xread":                 {args: []any{"xread", "COUNT", 2, "STREAMS", a0, b0, "0", "0"}, want: want{Part: 0, Keys: []int{4, 5}}},
		"xread unbalanced":      {args: []any{"xread", "STREAMS", a0, b0, "0"}, err: ErrArgs},
		"object encoding":       {args: []any{"object", "encoding", a3}, want: want{Part: 3, Keys: []int{2}}},
		"object help":           {args: []any{"object", "help"}, err: ErrNoKey},
		"memory usage":          {args: []any{"MEMORY", "USAGE", a1}, want: want{Part: 1, Keys: []int{2}}},
		"sort store":            {args: []any{"sort", a0, "BY", "nosort", "LIMIT", 0, 10, "GET", "#", "STORE", b0}, want: want{Part: 0, Keys: []int{1, 10}}},
		"sort tagged patterns":  {args: []any{"sort", "{" + a0 + "}l", "BY", "w{" + a0 + "}_*", "GET", "{" + b0 + "}o_*->f"}, want: want{Part: 0, Keys: []int{1, 3, 5}}},
		"sort_ro tagged":        {args: []any{"SORT_RO", "{" + a1 + "}l", "GET", "{" + a1 + "}*"}, want: want{Part: 1, Keys: []int{1, 3}}},
		"sort by any":           {args: []any{"sort", a0, "BY", "w_*"}, err: ErrCrossPartition},
		"sort get any":          {args: []any{"sort_ro", a0, "GET", "o_*->f"}, err: ErrCrossPartition},
		"sort star in tag":      {args: []any{"sort", a0, "GET", "{" + a0 + "*}"}, err: ErrCrossPartition},
		"sort empty tag":        {args: []any{"sort", a0, "GET", "{}" + a0 + "*"}, err: ErrCrossPartition},
		"sort tag after star":   {args: []any{"sort", a0, "GET", "*{" + a0 + "}"}, err: ErrCrossPartition},
		"sort pattern across":   {args: []any{"sort", "{" + a0 + "}l", "BY", "{" + a1 + "}w_*"}, err: ErrCrossPartition},
		"sort by no pattern":    {args: []any{"sort", a0, "BY"}, err: ErrArgs},
		"sort store across":     {args: []any{"sort", a0, "STORE", a1}, err: ErrCrossPartition},
		"georadius store":       {args: []any{"georadius", a0, 1, 2, 3, "km", "COUNT", 5, "STORE", b0}, want: want{Part: 0, Keys: []int{1, 9}}},
		"get no key":            {args: []any{"get"}, err: ErrArgs},
		"get two keys":          {args: []any{"get", a0, a1}, err: ErrArgs},
		"mset odd":              {args: []any{"mset", a0, "v", a1}, err: ErrArgs},
		"dbsize":                {args: []any{"dbsize"}, err: ErrNoKey},
		"unknown":               {args: []any{"frobnicate", a0}, err: ErrUnknownCommand},
		"select":                {args: []any{"select", 1}, err: ErrRefused},
		"multi":                 {args: []any{"multi"}, err: ErrRefused},
		"integer key":           {args: []any{"get", 42}, want: want{Part: p("42"), Keys: []int{1}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := c.route(v, redis.NewCmd(context.Background(), tc.args...))
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("error %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, want{Part: r.part, Keys: r.keys, KParts: r.kparts}); d != "" {
				t.Errorf("route (-want +got):\n%s", d)
			}
		})
	}
}

// TestKey1FastPath: every command routed without its finder (key1) routes
// as its finder would: to the partition of its first argument, with that
// as its one key; and its arity is still checked.
func TestKey1FastPath(t *testing.T) {
	v := testView(t)
	c := &Client{}
	n := 0
	for name, info := range commands {
		if !info.key1 {
			continue
		}
		n++
		args := []any{name}
		for i := 1; len(args) < max(info.arity, -info.arity); i++ {
			args = append(args, fmt.Sprintf("arg%d", i))
		}
		slow := *info
		slow.key1 = false
		for _, key := range []any{keyIn(2, 0), "{" + keyIn(3, 0) + "}.x", []byte(keyIn(1, 0)), 42} {
			args[1] = key
			fast, err := c.routeArgs(v, args, nil)
			if err != nil {
				t.Fatalf("%v: %v", args, err)
			}
			want, err := c.routeArgs(v, args, &lookupCache{name: name, info: &slow})
			if err != nil {
				t.Fatalf("%v, by its finder: %v", args, err)
			}
			if fast.part != want.part || !slices.Equal(fast.keys, want.keys) || fast.kparts != nil {
				t.Errorf("%v: partition %d keys %v, by its finder %d %v", args, fast.part, fast.keys, want.part, want.keys)
			}
		}
		if info.arity > 0 {
			if _, err := c.routeArgs(v, append(slices.Clone(args), "extra"), nil); !errors.Is(err, ErrArgs) {
				t.Errorf("%s with %d arguments: error %v, want ErrArgs", name, info.arity, err)
			}
		}
		if _, err := c.routeArgs(v, []any{name}, nil); !errors.Is(err, ErrArgs) {
			t.Errorf("%s with no key: error %v, want ErrArgs", name, err)
		}
	}
	if n < 50 {
		t.Errorf("%d commands routed by the fast path; the table has more", n)
	}
}

func p(key string) int {
	f, _ := hash.New("jump")
	n, _ := f.Partition([]byte(key), 4)
	return n
}

func TestErrorMessages(t *testing.T) {
	v := testView(t)
	c := &Client{}
	tests := map[string]struct {
		args []any
		want string
	}{
		"arity":   {[]any{"GET"}, "wrong number of arguments for 'get' command"},
		"unknown": {[]any{"frob", "x"}, "FROB: unknown command: roma does not know which of its arguments are keys"},
		"keyless": {[]any{"dbsize"}, "DBSIZE: it has no key to route by; run it on every partition"},
		"cross": {[]any{"rename", keyIn(3, 0), keyIn(1, 0)},
			"RENAME: keys in partitions 1 and 3; keys used together must share a partition (give them one hash tag, as in {user1}.a and {user1}.b)"},
		"refused": {[]any{"select", "2"}, "SELECT: not allowed through roma: roma selects each node's database itself"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := c.route(v, redis.NewCmd(context.Background(), tc.args...))
			if err == nil || err.Error() != tc.want {
				t.Errorf("error %q, want %q", err, tc.want)
			}
		})
	}
}

func TestPick(t *testing.T) {
	v := testView(t)
	for p := range 4 {
		n, err := v.pick(p, false, true)
		if err != nil || n.Name != fmt.Sprintf("m%d", p) {
			t.Errorf("partition %d write: %v %v", p, n, err)
		}
		n, err = v.pick(p, true, true)
		if err != nil || n.Name != fmt.Sprintf("r%d", p) {
			t.Errorf("partition %d replica read: %v %v", p, n, err)
		}
		n, _ = v.pick(p, true, false)
		if n.Name != fmt.Sprintf("m%d", p) {
			t.Errorf("partition %d read without replica reads: %v", p, n.Name)
		}
	}
	if n, _ := v.pick(2, false, false); n.DB != 5 {
		t.Errorf("m2's database is %d, want 5", n.DB)
	}
}

func TestHaltView(t *testing.T) {
	v := testView(t)
	st := *v.status
	st.State = status.Halt
	st.Partitions = append([]status.Partition(nil), st.Partitions...)
	st.Partitions[1].Master = ""
	ns := &nodeSet{nodes: map[string]*node{}, opts: func(string, int) *redis.Options { return &redis.Options{} }}
	defer ns.close()
	hv := buildView(&st, &Options{Cluster: "t"}, ns, hash.New)
	_, err := hv.pick(0, false, false)
	if !errors.Is(err, ErrHalt) || errors.Is(err, ErrNoMajority) {
		t.Fatalf("pick in HALT: %v", err)
	}
	if want := `cluster "t" is in HALT (epoch 3): partition 1 has no master`; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	nm := noMajority("t", status.Reading{Total: 3, Answered: 1, Errors: map[string]string{"a:1": "refused", "b:1": "timeout"}})
	if !errors.Is(nm, ErrHalt) || !errors.Is(nm, ErrNoMajority) {
		t.Errorf("no majority error is not ErrHalt and ErrNoMajority: %v", nm)
	}
	if want := `cluster "t": no majority of status nodes answered (1 of 3; a:1: refused; b:1: timeout), so it is treated as HALT`; nm.Error() != want {
		t.Errorf("error %q, want %q", nm, want)
	}
	if errors.Is(nm, ErrPassword) {
		t.Errorf("no majority for want of answers is ErrPassword: %v", nm)
	}
}

// TestNoMajorityPassword: when no status node answered and those that
// gave a reason refused the password, the error says that alone, and is
// ErrPassword as well as ErrNoMajority and ErrHalt; one status node
// answering, or one failing otherwise, makes it the usual error.
func TestNoMajorityPassword(t *testing.T) {
	const wrongpass = "WRONGPASS invalid username-password pair or user is disabled."
	for _, tc := range []struct {
		name     string
		r        status.Reading
		password bool
		want     string
	}{
		{"all refuse", status.Reading{Total: 3, Errors: map[string]string{"a:1": wrongpass, "b:1": wrongpass, "c:1": wrongpass}}, true,
			`cluster "t": the status nodes refuse the client's password (3 of 3: ` + wrongpass + `)`},
		{"no password given", status.Reading{Total: 1, Errors: map[string]string{"a:1": "NOAUTH Authentication required."}}, true,
			`cluster "t": the status nodes refuse the client's password (1 of 1: NOAUTH Authentication required.)`},
		{"two refuse, one not asked", status.Reading{Total: 3, Errors: map[string]string{"a:1": wrongpass, "b:1": wrongpass,
			"c:1": "no answer yet: the others had failed, so that no majority could answer"}}, true,
			`cluster "t": the status nodes refuse the client's password (2 of 3: ` + wrongpass + `)`},
		{"one refuses, one down", status.Reading{Total: 2, Errors: map[string]string{"a:1": wrongpass, "b:1": "connection refused"}}, false,
			`cluster "t": no majority of status nodes answered (0 of 2; a:1: ` + wrongpass + `; b:1: connection refused), so it is treated as HALT`},
		{"one answered", status.Reading{Total: 3, Answered: 1, Errors: map[string]string{"a:1": wrongpass, "b:1": wrongpass}}, false,
			`cluster "t": no majority of status nodes answered (1 of 3; a:1: ` + wrongpass + `; b:1: ` + wrongpass + `), so it is treated as HALT`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := noMajority("t", tc.r)
			if !errors.Is(err, ErrHalt) || !errors.Is(err, ErrNoMajority) || errors.Is(err, ErrPassword) != tc.password {
				t.Errorf("ErrHalt %v, ErrNoMajority %v, ErrPassword %v: want true, true, %v",
					errors.Is(err, ErrHalt), errors.Is(err, ErrNoMajority), errors.Is(err, ErrPassword), tc.password)
			}
			if d := cmp.Diff(tc.want, err.Error()); d != "" {
				t.Errorf("error (-want +got):\n%s", d)
			}
		})
	}
}

func TestSplitAndMerge(t *testing.T) {
	v := testView(t)
	c := &Client{}
	ctx := context.Background()
	a0, b0, a1, a3 := keyIn(0, 0), keyIn(0, 1), keyIn(1, 0), keyIn(3, 0)

	// reply answers each partition's part as a server would.
	reply := func(subs []*subCmd, f func(s *subCmd) resp.Value) {
		for _, s := range subs {
			s.cmd.SetVal(f(s).Append(nil))
		}
	}
	t.Run("mget", func(t *testing.T) {
		cmd := redis.NewSliceCmd(ctx, "mget", a0, a1, b0, a3)
		r, err := c.route(v, cmd)
		if err != nil {
			t.Fatal(err)
		}
		subs := splitCmd(ctx, cmd, r)
		var got [][]any
		for _, s := range subs {
			got = append(got, s.args)
		}
		if d := cmp.Diff([][]any{{"mget", a0, b0}, {"mget", a1}, {"mget", a3}}, got); d != "" {
			t.Errorf("parts (-want +got):\n%s", d)
		}
		reply(subs, func(s *subCmd) resp.Value {
			var out resp.Value = resp.Arr()
			for _, a := range s.args[1:] {
				if a == a3 {
					out.Elems = append(out.Elems, resp.NilBulk())
				} else {
					out.Elems = append(out.Elems, resp.Bulk("v-"+a.(string)))
				}
			}
			return out
		})
		if err := merge(cmd, r, subs); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff([]any{"v-" + a0, "v-" + a1, "v-" + b0, nil}, cmd.Val()); d != "" {
			t.Errorf("merged (-want +got):\n%s", d)
		}
	})
	t.Run("del sums", func(t *testing.T) {
		cmd := redis.NewIntCmd(ctx, "del", a0, a1, a3, b0)
		r, _ := c.route(v, cmd)
		subs := splitCmd(ctx, cmd, r)
		reply(subs, func(s *subCmd) resp.Value { return resp.Int(int64(len(s.args) - 1)) })
		if err := merge(cmd, r, subs); err != nil || cmd.Val() != 4 {
			t.Errorf("merged %d, %v; want 4", cmd.Val(), err)
		}
	})
	t.Run("mset pairs", func(t *testing.T) {
		cmd := redis.NewStatusCmd(ctx, "mset", a0, "1", a1, "2", b0, "3")
		r, _ := c.route(v, cmd)
		subs := splitCmd(ctx, cmd, r)
		var got [][]any
		for _, s := range subs {
			got = append(got, s.args)
		}
		if d := cmp.Diff([][]any{{"mset", a0, "1", b0, "3"}, {"mset", a1, "2"}}, got); d != "" {
			t.Errorf("parts (-want +got):\n%s", d)
		}
		reply(subs, func(*subCmd) resp.Value { return resp.Status("OK") })
		if err := merge(cmd, r, subs); err != nil || cmd.Val() != "OK" {
			t.Errorf("merged %q, %v", cmd.Val(), err)
		}
	})
	t.Run("error reply wins", func(t *testing.T) {
		cmd := redis.NewIntCmd(ctx, "exists", a0, a1)
		r, _ := c.route(v, cmd)
		subs := splitCmd(ctx, cmd, r)
		reply(subs, func(s *subCmd) resp.Value {
			if s.part == 1 {
				return resp.Err("LOADING Redis is loading the dataset in memory")
			}
			return resp.Int(1)
		})
		err := merge(cmd, r, subs)
		if !redis.IsLoadingError(err) || !redis.IsLoadingError(cmd.Err()) {
			t.Errorf("merged error %v, want a LOADING error", err)
		}
	})
	t.Run("raw", func(t *testing.T) {
		cmd := redis.NewRawCmd(ctx, "mget", a3, a0)
		r, _ := c.route(v, cmd)
		subs := splitCmd(ctx, cmd, r)
		reply(subs, func(s *subCmd) resp.Value { return resp.Arr(resp.Bulk(fmt.Sprint(s.part))) })
		if err := merge(cmd, r, subs); err != nil {
			t.Fatal(err)
		}
		if got, want := string(cmd.Val()), "*2\r\n$1\r\n3\r\n$1\r\n0\r\n"; got != want {
			t.Errorf("raw %q, want %q", got, want)
		}
	})
	t.Run("generic cmd", func(t *testing.T) {
		cmd := redis.NewCmd(ctx, "mget", a3, a0)
		r, _ := c.route(v, cmd)
		subs := splitCmd(ctx, cmd, r)
		reply(subs, func(s *subCmd) resp.Value { return resp.Arr(resp.Bulk(fmt.Sprint(s.part))) })
		_ = merge(cmd, r, subs)
		if d := cmp.Diff([]any{"3", "0"}, cmd.Val()); d != "" {
			t.Errorf("merged (-want +got):\n%s", d)
		}
	})
}

func TestFailedOver(t *testing.T) {
	ctx := context.Background()
	raw := func(s string) redis.Cmder { c := redis.NewRawCmd(ctx, "get", "k"); c.SetVal([]byte(s)); return c }
	withErr := func(err error) redis.Cmder { c := redis.NewCmd(ctx, "get", "k"); c.SetErr(err); return c }
	tests := map[string]struct {
		cmd  redis.Cmder
		want bool
	}{
		"raw readonly":  {raw("-READONLY You can't write against a read only replica.\r\n"), true},
		"raw loading":   {raw("-LOADING Redis is loading the dataset in memory\r\n"), true},
		"raw other":     {raw("-ERR nope\r\n"), false},
		"raw value":     {raw("$2\r\nok\r\n"), false},
		"readonly":      {withErr(redisError("READONLY You can't write against a read only replica.")), true},
		"masterdown":    {withErr(redisError("MASTERDOWN Link with MASTER is down")), true},
		"wrongtype":     {withErr(redisError("WRONGTYPE Operation against a key holding the wrong kind of value")), false},
		"nil":           {withErr(redis.Nil), false},
		"other failure": {withErr(errors.New("i/o timeout")), false},
	}
	for name, tc := range tests {
		if got := failedOver(tc.cmd); got != tc.want {
			t.Errorf("%s: failedOver = %v, want %v", name, got, tc.want)
		}
	}
}

func TestKindOf(t *testing.T) {
	got := map[string]Kind{}
	for _, n := range []string{"GET", "mget", "dbsize", "PING", "multi", "watch", "select", "frob"} {
		got[n] = KindOf(n)
	}
	want := map[string]Kind{"GET": Keyed, "mget": Keyed, "dbsize": Keyless, "PING": Keyless, "multi": Transaction,
		"watch": Transaction, "select": Refused, "frob": Unknown}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("KindOf (-want +got):\n%s", d)
	}
}

func TestNodeAddrsFallback(t *testing.T) {
	// A status written by hand (redis-cli HSET) may name masters without
	// their nodes' states: roma.hcl's addresses fill in.
	st := &status.Status{Cluster: "t", State: status.OK, Epoch: 1, Hash: "jump",
		Partitions: []status.Partition{{Master: "a"}, {Master: "b"}}, Nodes: map[string]status.NodeState{}}
	ns := &nodeSet{nodes: map[string]*node{}, opts: func(addr string, db int) *redis.Options { return &redis.Options{Addr: addr} }}
	defer ns.close()
	o := &Options{Cluster: "t", NodeAddrs: map[string]string{"a": "10.0.0.1:7000"}, Databases: map[string]int{"a": 3}}
	v := buildView(st, o, ns, hash.New)
	n, err := v.pick(0, false, false)
	if err != nil || n.Addr != "10.0.0.1:7000" || n.DB != 3 {
		t.Errorf("partition 0: %+v, %v", n, err)
	}
	_, err = v.pick(1, false, false)
	if !errors.Is(err, ErrHalt) {
		t.Errorf("partition 1 (master b, address unknown): %v", err)
	}
}

// TestCommandNames: every name in the table is lower case and short
// enough for lookupLower, which finds it in any case.
func TestCommandNames(t *testing.T) {
	for name, info := range commands {
		if name != strings.ToLower(name) || len(name) > 32 || info.name != name {
			t.Errorf("command %q (info name %q): want a lower-case name of at most 32 bytes", name, info.name)
		}
		if lookup(strings.ToUpper(name)) != info || lookupLower([]byte(strings.ToUpper(name))) != info {
			t.Errorf("%q: not found in upper case", name)
		}
	}
}

// TestGuards: the uses of CONFIG, ACL, COPY and MOVE that would take the cluster out
// of roma's hands are refused, and the rest go through.
func TestGuards(t *testing.T) {
	tests := map[string]struct {
		args []any
		want string // "": allowed
	}{
		"config set requirepass": {[]any{"CONFIG", "SET", "requirepass", "x"},
			`CONFIG: SET requirepass is not allowed through roma, which sets it itself: use the cluster's "password" attribute in roma.hcl`},
		"config set masterauth": {[]any{"config", "set", "MasterAuth", "x"},
			`CONFIG: SET masterauth is not allowed through roma, which sets it itself: use the cluster's "password" attribute in roma.hcl`},
		"second pair": {[]any{"config", "set", "maxmemory", "10mb", "port", "7777"},
			`CONFIG: SET port is not allowed through roma, which sets it itself: use the node's "port" attribute in roma.hcl`},
		"config set dir": {[]any{"config", "set", "dir", "/tmp"},
			`CONFIG: SET dir is not allowed through roma, which sets it itself: use the host's "root" attribute (data lives in root/data/<node>) in roma.hcl`},
		"acl setuser default": {[]any{"ACL", "SETUSER", "default", ">new"},
			`ACL: SETUSER default is not allowed through roma: roma, romad and the replicas log in as the default user, with the cluster's "password" attribute in roma.hcl`},
		"config rewrite": {[]any{"CONFIG", "REWRITE"},
			"CONFIG: REWRITE is not allowed through roma, which writes each node's conf file from roma.hcl (a rewritten one is readable by all, password included): change roma.hcl and run roma apply"},
		"copy db": {[]any{"COPY", "{u}a", "{u}b", "REPLACE", "db", "1"},
			"COPY: DB is not allowed through roma, which selects each node's database itself: copy within the key's own database"},
		"move":                 {[]any{"move", "a", "1"}, "MOVE: not allowed through roma: roma selects each node's database itself"},
		"config set maxmemory": {args: []any{"config", "set", "maxmemory", "10mb"}},
		"copy":                 {args: []any{"copy", "{u}a", "{u}b", "REPLACE"}},
		"config get":           {args: []any{"config", "get", "requirepass"}},
		"config resetstat":     {args: []any{"config", "resetstat"}},
		"acl setuser other":    {args: []any{"acl", "setuser", "app", "on", ">pw", "~*", "+@read"}},
		"acl list":             {args: []any{"acl", "list"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := Check(tc.args...)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Errorf("error %v, want %q", err, tc.want)
			case tc.want != "" && !errors.Is(err, ErrRefused):
				t.Errorf("error %v is not ErrRefused", err)
			}
		})
	}
}

// TestFailoverErrors: which errors a failover explains (and are retried
// after a newer status), and which name their node; replies are read by
// their text, as go-redis's IsReadOnlyError and friends read them.
func TestFailoverErrors(t *testing.T) {
	n := &node{Name: "db1-7000", Addr: "127.0.0.1:7000"}
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	tests := map[string]struct {
		err      error
		failover bool
		named    bool // nodeError names the node
	}{
		"nil reply":       {err: redis.Nil},
		"other reply":     {err: redisError("WRONGTYPE Operation against a key holding the wrong kind of value")},
		"readonly":        {err: redisError("READONLY You can't write against a read only replica."), failover: true},
		"loading":         {err: redisError("LOADING Redis is loading the dataset in memory"), failover: true},
		"masterdown":      {err: redisError("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."), failover: true},
		"readonly in lua": {err: redisError("ERR Error running script (call to f_1): @user_script:1: -READONLY You can't write against a read only replica."), failover: true},
		"refused dial":    {err: dial, failover: true, named: true},
		"lost connection": {err: io.EOF, named: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := isFailover(tc.err); got != tc.failover {
				t.Errorf("isFailover(%v) = %v, want %v", tc.err, got, tc.failover)
			}
			if got := redis.IsReadOnlyError(tc.err) || redis.IsLoadingError(tc.err) || redis.IsMasterDownError(tc.err) || isDial(tc.err); got != tc.failover {
				t.Errorf("go-redis reads %v as a failover: %v, want %v", tc.err, got, tc.failover)
			}
			got := nodeError(tc.err, n, 2)
			if named := got != tc.err; named != tc.named {
				t.Errorf("nodeError(%v) = %v: named %v, want %v", tc.err, got, named, tc.named)
			}
			if tc.named && !strings.Contains(got.Error(), "node db1-7000 (127.0.0.1:7000, partition 2)") {
				t.Errorf("nodeError(%v) = %v, without the node", tc.err, got)
			}
		})
	}
}
