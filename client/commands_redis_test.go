package client

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/redisconn/redistest"
)

// TestKeysMatchRedis checks the routing table's key positions against a
// real redis-server's (7.0): for each command the table routes by its
// keys and the server knows, COMMAND GETKEYS on sample arguments must
// name the keys the table's finder names, and a command the table sends
// to replicas (with Options.ReplicaReads) must be one Redis flags
// readonly. A wrong position routes a
// command by a value, to a partition that does not hold its key, and
// nothing else would tell. The samples are built from the server's own
// arity and key specs, or written out below for commands whose keys
// move with their arguments.
func TestKeysMatchRedis(t *testing.T) {
	const pw = "keys-match-test-password"
	s := redistest.Start(t, pw)
	c := redisconn.New(s.Addr, pw, 10*time.Second, 1)
	defer c.Close()
	ctx := context.Background()
	infos, err := c.Command(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	samples := movableSamples()
	containers := map[string]bool{"object": true, "memory": true, "xinfo": true, "xgroup": true}
	var names []string
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	checked := 0
	for _, name := range names {
		info := commands[name]
		if info.keys == nil || info.flags&(refused|txControl) != 0 {
			continue
		}
		ri, ok := infos[name]
		if !ok {
			continue // newer than this server (hash field expiry, 7.4)
		}
		argsList := samples[name]
		if info.flags&readOnly != 0 {
			// A container's flags are its subcommands' (OBJECT ENCODING).
			flagsOf := map[string][]string{name: ri.Flags}
			if containers[name] {
				flagsOf = map[string][]string{}
				for _, args := range argsList {
					full := name + "|" + strings.ToLower(fmt.Sprint(args[1]))
					flagsOf[full] = subcommandFlags(ctx, t, c, full)
				}
			}
			for full, flags := range flagsOf {
				if !slices.Contains(flags, "readonly") {
					t.Errorf("%s: the table sends it to replicas (read-only), Redis does not flag it readonly (%v)", full, flags)
				}
			}
		}
		if argsList == nil {
			if ri.FirstKeyPos == 0 {
				t.Errorf("%s: the table routes it by keys, Redis gives it none", name)
				continue
			}
			if slices.Contains(ri.Flags, "movablekeys") {
				t.Errorf("%s: its keys move with its arguments, and the test has no sample of it", name)
				continue
			}
			argsList = [][]any{fixedSample(name, ri)}
		}
		for _, args := range argsList {
			want, err := redisKeys(ctx, c, args)
			if err != nil {
				t.Errorf("COMMAND GETKEYS %v: %v", args, err)
				continue
			}
			got, err := tableKeys(info, args)
			if err != nil {
				t.Errorf("%v: the table's finder fails: %v", args, err)
				continue
			}
			if !slices.Equal(got, want) {
				t.Errorf("%v: the table's keys are at %v, Redis's at %v", args, got, want)
			}
			checked++
		}
	}
	if checked < 100 {
		t.Errorf("only %d commands checked", checked)
	}
	t.Logf("%d samples checked", checked)
}

// fixedSample is an argument list for a command whose keys are at fixed
// positions: as many arguments as its arity asks (one more key pair
// when it takes any number), each "kN" at a key position and "vN"
// elsewhere.
func fixedSample(name string, ri *redis.CommandInfo) []any {
	n := int(ri.Arity)
	if n < 0 {
		n = -n
		if ri.LastKeyPos < 0 && ri.StepCount > 0 {
			n += int(ri.StepCount) // room for a second key
		}
	}
	args := []any{name}
	for i := 1; i < n; i++ {
		args = append(args, fmt.Sprintf("v%d", i))
	}
	last := int(ri.LastKeyPos)
	if last < 0 {
		last += len(args)
	}
	for i := int(ri.FirstKeyPos); ri.FirstKeyPos > 0 && i <= last && i < len(args); i += max(1, int(ri.StepCount)) {
		args[i] = fmt.Sprintf("k%d", i)
	}
	return args
}

// movableSamples are argument lists for the commands whose key positions
// depend on their arguments (and the subcommand-keyed ones).
func movableSamples() map[string][][]any {
	return map[string][][]any{
		"sort": {
			{"sort", "k1"},
			{"sort", "k1", "LIMIT", 0, 5, "STORE", "k7"},
			{"sort", "k1", "BY", "nosort", "GET", "#", "STORE", "k8"},
		},
		"sort_ro":              {{"sort_ro", "k1"}, {"sort_ro", "k1", "LIMIT", 0, 5, "ALPHA"}},
		"georadius":            {{"georadius", "k1", 1, 2, 3, "km"}, {"georadius", "k1", 1, 2, 3, "km", "STORE", "k7"}, {"georadius", "k1", 1, 2, 3, "km", "STOREDIST", "k7"}},
		"georadiusbymember":    {{"georadiusbymember", "k1", "m", 3, "km"}, {"georadiusbymember", "k1", "m", 3, "km", "COUNT", 2, "STORE", "k8"}},
		"zunionstore":          {{"zunionstore", "k1", 2, "k3", "k4"}, {"zunionstore", "k1", 1, "k3", "WEIGHTS", 2}},
		"zinterstore":          {{"zinterstore", "k1", 2, "k3", "k4", "AGGREGATE", "MAX"}},
		"zdiffstore":           {{"zdiffstore", "k1", 2, "k3", "k4"}},
		"zunion":               {{"zunion", 2, "k2", "k3", "WITHSCORES"}},
		"zinter":               {{"zinter", 2, "k2", "k3"}},
		"zdiff":                {{"zdiff", 1, "k2"}},
		"zintercard":           {{"zintercard", 2, "k2", "k3", "LIMIT", 1}},
		"sintercard":           {{"sintercard", 2, "k2", "k3"}},
		"lmpop":                {{"lmpop", 2, "k2", "k3", "LEFT"}},
		"zmpop":                {{"zmpop", 1, "k2", "MIN", "COUNT", 2}},
		"blmpop":               {{"blmpop", 0, 2, "k3", "k4", "RIGHT"}},
		"bzmpop":               {{"bzmpop", 0, 1, "k3", "MAX"}},
		"eval":                 {{"eval", "return 1", 2, "k3", "k4", "a"}, {"eval", "return 1", 0}},
		"evalsha":              {{"evalsha", "abc", 1, "k3", "a"}},
		"eval_ro":              {{"eval_ro", "return 1", 1, "k3"}},
		"evalsha_ro":           {{"evalsha_ro", "abc", 2, "k3", "k4"}},
		"fcall":                {{"fcall", "f", 1, "k3", "a"}},
		"fcall_ro":             {{"fcall_ro", "f", 2, "k3", "k4"}},
		"xread":                {{"xread", "COUNT", 2, "STREAMS", "k4", "k5", "0", "0"}, {"xread", "BLOCK", 0, "STREAMS", "k4", "$"}},
		"xreadgroup":           {{"xreadgroup", "GROUP", "g", "c", "COUNT", 1, "STREAMS", "k7", ">"}},
		"migrate":              nil,
		"object":               {{"object", "encoding", "k2"}, {"object", "freq", "k2"}},
		"memory":               {{"memory", "usage", "k2"}, {"memory", "usage", "k2", "SAMPLES", 5}},
		"xinfo":                {{"xinfo", "stream", "k2"}, {"xinfo", "groups", "k2"}, {"xinfo", "consumers", "k2", "g"}},
		"xgroup":               {{"xgroup", "create", "k2", "g", "$"}, {"xgroup", "destroy", "k2", "g"}, {"xgroup", "setid", "k2", "g", "0"}, {"xgroup", "createconsumer", "k2", "g", "c"}, {"xgroup", "delconsumer", "k2", "g", "c"}},
		"bitop":                {{"bitop", "AND", "k2", "k3", "k4"}},
		"georadius_ro":         {{"georadius_ro", "k1", 1, 2, 3, "km"}},
		"georadiusbymember_ro": {{"georadiusbymember_ro", "k1", "m", 3, "km"}},
		"geosearchstore":       {{"geosearchstore", "k1", "k2", "FROMMEMBER", "m", "BYRADIUS", 1, "km"}},
		"blpop":                {{"blpop", "k1", "k2", 0}},
		"brpop":                {{"brpop", "k1", 0}},
		"bzpopmin":             {{"bzpopmin", "k1", "k2", 0}},
		"bzpopmax":             {{"bzpopmax", "k1", 0}},
		"mset":                 {{"mset", "k1", "v", "k3", "v"}},
		"msetnx":               {{"msetnx", "k1", "v", "k3", "v"}},
	}
}

// redisKeys is COMMAND GETKEYS of args, as positions in args.
func redisKeys(ctx context.Context, c *redis.Client, args []any) ([]int, error) {
	keys, err := c.Do(ctx, append([]any{"command", "getkeys"}, args...)...).StringSlice()
	if err != nil {
		if strings.Contains(err.Error(), "no key arguments") {
			return nil, nil
		}
		return nil, err
	}
	var pos []int
	for _, k := range keys {
		for i := 1; i < len(args); i++ {
			if fmt.Sprint(args[i]) == k && !slices.Contains(pos, i) {
				pos = append(pos, i)
				break
			}
		}
	}
	return pos, nil
}

// tableKeys is the positions the routing table gives args' keys.
func tableKeys(info *cmdInfo, args []any) ([]int, error) {
	if info.key1 {
		return []int{1}, nil
	}
	pos, err := info.keys(args)
	if err != nil {
		return nil, err
	}
	return slices.Clone(pos), nil
}

// subcommandFlags is COMMAND INFO's flags of a subcommand ("object|encoding").
func subcommandFlags(ctx context.Context, t *testing.T, c *redis.Client, name string) []string {
	t.Helper()
	reply, err := c.Do(ctx, "command", "info", name).Slice()
	if err != nil || len(reply) != 1 {
		t.Fatalf("COMMAND INFO %s: %v %v", name, reply, err)
	}
	info, ok := reply[0].([]any)
	if !ok || len(info) < 3 {
		t.Fatalf("COMMAND INFO %s: %v", name, reply)
	}
	var flags []string
	fs, _ := info[2].([]any)
	for _, f := range fs {
		flags = append(flags, fmt.Sprint(f))
	}
	return flags
}
