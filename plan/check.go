package plan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconf"
	"github.com/roma-redis/roma/remote"
)

// ChecksConf reports whether apply writes r's conf file, or starts or
// restarts r's node with it: the conf files the host's redis-server must
// accept first (CheckConf).
func ChecksConf(r Resource) bool {
	if (r.Kind != "node" && r.Kind != "status") || r.Action == Delete {
		return false
	}
	if r.Action == Create || r.Action == Replace || r.Action == Restart {
		return true
	}
	for _, s := range r.Steps {
		switch s.Op {
		case "write-conf", "start", "restart":
			return true
		}
	}
	return false
}

// CheckConf has the host's own redis-server read the conf file roma.hcl
// gives tg (redisconf.CheckCommand), over t, and, for a file with modules
// or user lines, start on it as far as its ACL
// (redisconf.StartCheckCommand): nil when it accepts it, else why not, in
// Redis's words and without any secret.
func CheckConf(ctx context.Context, t remote.Transport, spec *cluster.Spec, tg redisconf.Target) error {
	data := redisconf.Render(spec, tg)
	in := redisconf.CheckInput(data)
	res, err := t.Run(ctx, redisconf.CheckCommand, remote.WithStdin(bytes.NewReader(in)))
	if err != nil {
		return fmt.Errorf("checking the conf file of %s on %s: %w", tg.Name, tg.Host.Name, err)
	}
	if res.ExitCode == 127 {
		return noRedisServer(tg.Host.Name)
	}
	sensitive := func(d string) bool {
		return tg.Settings[d].Sensitive || redisconf.Secret(d) || d == "user" // user: the default user's password hashes
	}
	if err := redisconf.CheckOutcome(res.ExitCode, res.Stdout, res.Stderr, sensitive); err != nil {
		return spec.Password.RedactError(fmt.Errorf("the conf file roma.hcl gives %s: %w", tg.Name, err))
	}
	if err := checkModules(ctx, t, tg); err != nil {
		return err
	}
	if !redisconf.NeedsStartCheck(data) {
		return nil
	}
	in, users := redisconf.StartCheckInput(data)
	res, err = t.Run(ctx, redisconf.StartCheckCommand, remote.WithStdin(bytes.NewReader(in)))
	if err != nil {
		return fmt.Errorf("checking that %s starts with its conf file on %s: %w", tg.Name, tg.Host.Name, err)
	}
	if err := redisconf.StartCheckOutcome(res.ExitCode, res.Stdout, res.Stderr, users); err != nil {
		// A module's own message may quote its arguments.
		return redactSettings(spec.Password.RedactError(fmt.Errorf("the conf file roma.hcl gives %s: %w", tg.Name, err)), tg.Settings)
	}
	return nil
}

// noRedisServer is CheckConf's error when host has no redis-server to
// check a conf file with: none of its nodes could start either.
func noRedisServer(host string) error {
	return fmt.Errorf("redis-server is not installed on %s: %w on the PATH of its shell; install it (Debian: apt-get install redis-server)",
		host, remote.ErrCommandNotFound)
}

// redactSettings returns err with what of set's sensitive settings must
// not be shown (redisconf.SecretParts) redacted (cluster.RedactAll).
func redactSettings(err error, set cluster.Settings) error {
	var secrets []string
	for name, st := range set {
		if st.Sensitive {
			for _, v := range st.Values {
				secrets = append(secrets, redisconf.SecretParts(name, v)...)
			}
		}
	}
	if msg := cluster.RedactAll(err.Error(), secrets...); msg != err.Error() {
		return errors.New(msg)
	}
	return err
}

// checkModules checks that every module tg's loadmodule lines name (by an
// absolute path) is a readable file on tg's host: Redis reads the
// directive but loads the module only once it starts, so the check of
// the conf file cannot see a module that is not there, and a node given
// one would not start.
func checkModules(ctx context.Context, t remote.Transport, tg redisconf.Target) error {
	var paths []string
	for _, v := range tg.Settings["loadmodule"].Values {
		if args, err := redisconf.SplitArgs(v); err == nil && len(args) > 0 && path.IsAbs(args[0]) {
			paths = append(paths, args[0])
		}
	}
	if len(paths) == 0 {
		return nil
	}
	out, err := remote.Output(ctx, t, `for f in `+remote.ShellJoin(paths)+`; do [ -f "$f" ] && [ -r "$f" ] || printf '%s\n' "$f"; done`)
	if err != nil {
		return fmt.Errorf("checking the modules of %s on %s: %w", tg.Name, tg.Host.Name, err)
	}
	if missing := strings.TrimSpace(string(out)); missing != "" {
		first, _, _ := strings.Cut(missing, "\n")
		return fmt.Errorf("the conf file roma.hcl gives %s: loadmodule %s: no such readable file on %s, so redis-server would not start", tg.Name, first, tg.Host.Name)
	}
	return nil
}

// Check has each host's redis-server read every conf file p writes or
// starts a node with (CheckConf), and adds a refusal to p for each one it
// refuses, so that plan says what apply would stop at: a value Redis
// refuses that roma validate lets through, or a directive the host's
// Redis version does not know. A host it cannot reach is left to the
// plan's observation, which says so. A host with no redis-server gets
// one refusal of its own, not one per node. It changes nothing on the
// hosts.
func Check(ctx context.Context, dial Dialer, spec *cluster.Spec, p *Plan, parallelism int) {
	byAddr := map[string]redisconf.Target{}
	for _, t := range targets(spec) {
		byAddr[kindOf(t)+"."+t.Name] = t
	}
	byHost := map[string][]Resource{}
	for _, r := range p.Resources {
		if _, ok := byAddr[r.Address]; ok && ChecksConf(r) {
			byHost[r.Host] = append(byHost[r.Host], r)
		}
	}
	hosts := make([]string, 0, len(byHost))
	for h := range byHost {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	var mu sync.Mutex
	var refusals []Note
	_ = remote.ForEach(ctx, hosts, parallelism, func(ctx context.Context, hn string) error {
		h, ok := spec.Host(hn)
		if !ok {
			return nil
		}
		t, err := dial(ctx, h)
		if err != nil {
			return nil
		}
		defer t.Close()
		for _, r := range byHost[hn] {
			err := CheckConf(ctx, t, spec, byAddr[r.Address])
			if err == nil {
				continue
			}
			addr := r.Address
			if errors.Is(err, remote.ErrCommandNotFound) {
				addr = "host." + hn
			}
			mu.Lock()
			refusals = append(refusals, Note{Address: addr, Message: err.Error() + "; apply would stop before changing anything"})
			mu.Unlock()
			if addr != r.Address {
				break
			}
		}
		return nil
	})
	sort.Slice(refusals, func(i, j int) bool { return refusals[i].Address < refusals[j].Address })
	p.Refusals = append(p.Refusals, refusals...)
}
