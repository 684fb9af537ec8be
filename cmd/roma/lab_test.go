package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/roma-redis/roma/apply"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/hclspec"
	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/remote"
)

// TestLabScripts runs the scripts in testdata/lab, each against a lab of
// its own (4 hosts) with a roma.hcl for it in $WORK/cluster and the
// cluster password in $ROMA_VAR_redis_password.
//
// Extra commands:
//
//	bootstrap              bring the cluster up (until apply does)
//	redis NODE ARGS...     run a Redis command on a node, print the reply
//	holdlock               take the cluster lock (its ID in $LOCKID)
//	[!] releaselock        release it (! when it is expected to be gone)
//	writestatus EPOCH ...  publish a status (see cmdWriteStatus)
//	failover NODE EPOCH    make NODE its partition's master (see cmdFailover)
//	pause NODE, resume NODE  stop and continue NODE's redis-server (see cmdPause)
func TestLabScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/lab",
		RequireExplicitExec: true,
		UpdateScripts:       os.Getenv("ROMA_UPDATE_SCRIPTS") == "1",
		Setup: func(env *testscript.Env) error {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			l, err := lab.Start(ctx, lab.Options{Hosts: 4})
			if err != nil {
				if os.Geteuid() == 0 || os.Getenv("CI") == "true" {
					return fmt.Errorf("lab cannot start: %w", err)
				}
				env.T().Skip("lab cannot start (not root, not CI): ", err)
			}
			env.Defer(func() { _ = l.Close() })
			env.Values["lab"] = l
			env.Values["lock"] = &heldLock{}
			dir := filepath.Join(env.WorkDir, "cluster")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, "roma.hcl"), []byte(plantest.ConfigText(l, 3, "")), 0o644); err != nil {
				return err
			}
			env.Setenv("NO_COLOR", "1")
			env.Setenv("ROMA_VAR_redis_password", plantest.Password)
			env.Setenv("PASSWORD", plantest.Password)
			env.Setenv("UNUSED", l.UnusedAddress())
			env.Setenv("ROOT_DB1", l.Host("db1").Root)
			env.Setenv("ROOT_DB2", l.Host("db2").Root)
			env.Setenv("DB1_HOST", l.Host("db1").Address)
			env.Setenv("DB2_7001_HOST", l.Host("db2").Address)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"writestatus": cmdWriteStatus,
			"failover":    cmdFailover,
			"pause":       cmdPause,
			"resume":      cmdResume,
			"crash":       cmdCrash,
			"sleep": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: sleep DURATION")
				}
				d, err := time.ParseDuration(args[0])
				ts.Check(err)
				time.Sleep(d)
			},
			"holdlock": func(ts *testscript.TestScript, neg bool, args []string) {
				spec := labSpec(ts)
				h := apply.LockHost(spec)
				t, err := remote.Dial(context.Background(), h, remote.DialOptions{})
				ts.Check(err)
				lk, err := apply.AcquireLock(context.Background(), t, h, "test", 0, 0)
				ts.Check(err)
				held := ts.Value("lock").(*heldLock)
				held.lock, held.t = lk, t
				ts.Setenv("LOCKID", lk.Info.ID)
			},
			"releaselock": func(ts *testscript.TestScript, neg bool, args []string) {
				held := ts.Value("lock").(*heldLock)
				if held.lock == nil {
					ts.Fatalf("no lock held")
				}
				err := held.lock.Release()
				held.t.Close()
				held.lock = nil
				if neg {
					if err == nil {
						ts.Fatalf("release succeeded")
					}
					return
				}
				ts.Check(err)
			},
			"bootstrap": func(ts *testscript.TestScript, neg bool, args []string) {
				spec := labSpec(ts)
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				ts.Check(plantest.Bootstrap(ctx, spec))
			},
			"redis": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) < 2 {
					ts.Fatalf("usage: redis NODE ARGS...")
				}
				spec := labSpec(ts)
				n, ok := spec.Node(args[0])
				port := n.Port
				host := n.Host
				if !ok {
					found := false
					for _, s := range spec.Status {
						if s.Name == args[0] {
							port, host, found = s.Port, s.Host, true
						}
					}
					if !found {
						ts.Fatalf("no node %s", args[0])
					}
				}
				cl := plantest.Client(spec, host, port)
				defer cl.Close()
				var a []any
				for _, s := range args[1:] {
					a = append(a, s)
				}
				v, err := cl.Do(context.Background(), a...).Result()
				if err != nil && !neg && !strings.EqualFold(args[1], "shutdown") {
					ts.Fatalf("redis %s: %v", strings.Join(args, " "), err)
				}
				fmt.Fprintln(ts.Stdout(), v)
			},
		},
	})
}

type heldLock struct {
	lock *apply.Lock
	t    remote.Transport
}

func labSpec(ts *testscript.TestScript) *cluster.Spec {
	cfg, diags := hclspec.Load(ts.MkAbs("cluster"), hclspec.Options{Vars: []string{"redis_password=" + plantest.Password}})
	if diags.HasErrors() {
		ts.Fatalf("loading cluster: %s", diags.Error())
	}
	return cfg.Spec
}
