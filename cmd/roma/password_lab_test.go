package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/redisconn"
)

// TestApplyRefusesUnknownPassword: with a password in roma.hcl that the
// running nodes do not have, plan says so once and that it cannot see
// them, apply refuses before it touches anything (a saved plan too),
// status exits 1 saying why rather than 3 (HALT), and cli says why at
// once; back with the nodes' password, the plan has no changes.
func TestApplyRefusesUnknownPassword(t *testing.T) {
	dir, spec, _ := labCluster(t, nil)
	roma := func(args ...string) (int, string) {
		var out bytes.Buffer
		code := run(args, nil, &out, &out)
		return code, out.String()
	}
	if code, out := roma("apply", "-c", dir, "-auto-approve"); code != 0 {
		t.Fatalf("apply of the lab cluster: exit %d\n%s", code, out)
	}
	saved := filepath.Join(t.TempDir(), "saved.plan")
	if code, out := roma("plan", "-c", dir, "-out", saved); code != 0 {
		t.Fatalf("plan -out with the nodes' password: exit %d\n%s", code, out)
	}
	t.Setenv("ROMA_VAR_redis_password", "a-password-the-nodes-do-not-have")
	// A plan file made with the right password, applied with the wrong
	// one: the refusal, not a "stale plan" (nothing changed).
	if code, out := roma("apply", "-c", dir, saved); code != 1 || !strings.Contains(out, "another password than roma.hcl's") || strings.Contains(out, "stale") {
		t.Errorf("apply of a saved plan: exit %d, want 1 and the password refused, not a stale plan:\n%s", code, out)
	}
	code, out := roma("plan", "-c", dir, "-detailed-exitcode")
	if code != 1 || strings.Count(out, "runs with another password than roma.hcl's") != 1 || strings.Contains(out, "promote") {
		t.Errorf("plan: exit %d, want 1, one refusal for the whole cluster and no promotion:\n%s", code, out)
	}
	// Nothing of the cluster can be seen: status says why and exits 1,
	// not 3 (HALT) with every node down; cli says why at once.
	code, out = roma("status", "-c", dir)
	if code != 1 || !strings.Contains(out, "every node refuses roma.hcl's password (WRONGPASS") || strings.Contains(out, "HALT") {
		t.Errorf("status: exit %d, want 1 and the password refused, not HALT:\n%s", code, out)
	}
	began := time.Now()
	code, out = roma("cli", "-c", dir, "GET", "k")
	if code != 1 || !strings.Contains(out, "the status nodes refuse the client's password") {
		t.Errorf("cli: exit %d, want 1 and the password refused:\n%s", code, out)
	}
	if took := time.Since(began); took >= statusWait {
		t.Errorf("cli took %s to say the password is refused: it waited for the status nodes as if they were down", took)
	}
	code, out = roma("apply", "-c", dir, "-auto-approve")
	if code != 1 || !strings.Contains(out, "refusing to apply") || strings.Contains(out, "writing") {
		t.Errorf("apply: exit %d, want 1 and a refusal before any write:\n%s", code, out)
	}
	if strings.Contains(out, "a-password-the-nodes-do-not-have") {
		t.Errorf("the password shows:\n%s", out)
	}
	// stop, start and destroy refuse too, before they touch anything:
	// they would take the nodes for stopped (stop leaving them running
	// and reporting success, destroy removing their files under them).
	for _, args := range [][]string{
		{"stop", "-c", dir, "-auto-approve"},
		{"stop", "-c", dir, "-auto-approve", "--host", spec.Hosts[0].Name},
		{"start", "-c", dir, "--host", spec.Hosts[0].Name},
		{"destroy", "-c", dir, "-auto-approve"},
	} {
		code, out := roma(args...)
		if want := "refusing to " + args[0] + ": every node"; code != 1 || !strings.Contains(out, want) || !strings.Contains(out, "another password than roma.hcl's") {
			t.Errorf("roma %s: exit %d, want 1 and %q:\n%s", strings.Join(args, " "), code, want, out)
		}
	}
	// That nothing was touched, the plan with the nodes' password shows
	// below: no changes.

	// One node alone with another password: stop of its host names it.
	t.Setenv("ROMA_VAR_redis_password", plantest.Password)
	odd := spec.Nodes[0]
	oc := redisconn.NewClient(redisconn.Options(spec.Addr(odd.Host, odd.Port), plantest.Password, 5*time.Second, 1))
	defer oc.Close()
	ctx := context.Background()
	if err := oc.ConfigSet(ctx, "requirepass", "another-one-by-hand").Err(); err != nil {
		t.Fatal(err)
	}
	code, out = roma("stop", "-c", dir, "-auto-approve", "--host", odd.Host)
	if want := "refusing to stop: " + odd.Name + " (" + spec.Addr(odd.Host, odd.Port) + " on " + odd.Host + ") runs with another password"; code != 1 || !strings.Contains(out, want) {
		t.Errorf("stop of %s with %s's password changed by hand: exit %d, want 1 and %q:\n%s", odd.Host, odd.Name, code, want, out)
	}
	oc2 := redisconn.NewClient(redisconn.Options(spec.Addr(odd.Host, odd.Port), "another-one-by-hand", 5*time.Second, 1))
	defer oc2.Close()
	if err := oc2.ConfigSet(ctx, "requirepass", plantest.Password).Err(); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ROMA_VAR_redis_password", plantest.Password)
	if code, out := roma("plan", "-c", dir, "-detailed-exitcode"); code != 0 {
		t.Errorf("plan with the nodes' password: exit %d, want 0 (nothing was touched)\n%s", code, out)
	}
}

// TestPasswordRotation: a password rotation on a running lab cluster, as
// an operator runs it. With the new password in password and the old one
// in previous_password, plan shows each node's passwords changing at
// runtime (no restart, no refusal) and apply gives every data and status
// node both; once previous_password is removed, apply leaves only the new
// one. Replication stays up throughout, each plan after an apply has no
// changes, and neither password is ever printed.
func TestPasswordRotation(t *testing.T) {
	const oldPW, newPW = plantest.Password, "a-Brand-New-pa55word"
	dir, spec, _ := labCluster(t, nil)
	var all strings.Builder
	roma := func(args ...string) (int, string) {
		var out bytes.Buffer
		code := run(args, nil, &out, &out)
		all.WriteString(out.String())
		return code, out.String()
	}
	if code, out := roma("apply", "-c", dir, "-auto-approve"); code != 0 {
		t.Fatalf("apply of the lab cluster: exit %d\n%s", code, out)
	}
	conf := filepath.Join(dir, "roma.hcl")
	orig, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	rotating := strings.Replace(string(orig), "  password   = var.redis_password\n",
		"  password   = var.redis_password\n  previous_password = var.redis_previous_password\n", 1)
	rotating = "variable \"redis_previous_password\" {\n  sensitive = true\n}\n\n" + rotating
	if rotating == string(orig) {
		t.Fatal("the lab config has no password line to rotate")
	}
	if err := os.WriteFile(conf, []byte(rotating), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ROMA_VAR_redis_password", newPW)
	t.Setenv("ROMA_VAR_redis_previous_password", oldPW)

	// accepts reports which of the two passwords every node accepts.
	ctx := context.Background()
	var addrs []string
	for _, n := range spec.Nodes {
		addrs = append(addrs, spec.Addr(n.Host, n.Port))
	}
	for _, s := range spec.Status {
		addrs = append(addrs, spec.Addr(s.Host, s.Port))
	}
	accepts := func(pw string) (yes, no []string) {
		for _, a := range addrs {
			c := redisconn.New(a, pw, 2*time.Second, 1)
			if err := c.Ping(ctx).Err(); err != nil {
				no = append(no, a)
			} else {
				yes = append(yes, a)
			}
			c.Close()
		}
		return yes, no
	}
	// accepted checks that every node accepts pw (want) or that none does.
	accepted := func(when, what, pw string, want bool) {
		t.Helper()
		yes, no := accepts(pw)
		switch {
		case want && len(no) > 0:
			t.Errorf("%s, nodes refuse %s: %v", when, what, no)
		case !want && len(yes) > 0:
			t.Errorf("%s, nodes still accept %s: %v", when, what, yes)
		}
	}
	apply := func(what string) {
		t.Helper()
		if code, out := roma("apply", "-c", dir, "-auto-approve", "-no-color"); code != 0 {
			t.Fatalf("apply %s: exit %d\n%s", what, code, out)
		}
	}
	linksUp := func(when string) {
		t.Helper()
		for _, n := range spec.Nodes {
			c := redisconn.New(spec.Addr(n.Host, n.Port), newPW, 2*time.Second, 1)
			info, err := c.Info(ctx, "replication").Result()
			c.Close()
			if err != nil {
				t.Errorf("%s: INFO on %s: %v", when, n.Name, err)
			} else if strings.Contains(info, "role:slave") && !strings.Contains(info, "master_link_status:up") {
				t.Errorf("%s: the replication link of %s is down:\n%s", when, n.Name, info)
			}
		}
	}

	plan := func() (int, string) { return roma("plan", "-c", dir, "-detailed-exitcode", "-no-color") }
	// rotate checks that the plan changes the passwords at runtime (it
	// says want, restarts nothing, refuses nothing), applies it, and
	// checks what the nodes accept, their replication, and an empty plan.
	rotate := func(what, want string, oldOK bool) {
		t.Helper()
		code, out := plan()
		if code != 2 || !strings.Contains(out, want) || strings.Contains(out, "restarted") || strings.Contains(out, "needs restart") || strings.Contains(out, "refus") {
			t.Fatalf("plan %s: exit %d, want 2, %q (passwords changed at runtime), no restart, no refusal:\n%s", what, code, want, out)
		}
		apply(what)
		after := "after the apply " + what
		accepted(after, "the previous password", oldPW, oldOK)
		accepted(after, "the new password", newPW, true)
		linksUp(after)
		if code, out := plan(); code != 0 {
			t.Errorf("plan %s: exit %d, want 0\n%s", after, code, out)
		}
	}
	rotate("of the rotation", "a password rotation", true)
	// A replica that stops during the rotation comes back from its conf
	// file accepting both passwords, and replicates with the new one.
	var replica string
	for _, n := range spec.Nodes[1:] {
		if n.Partition == spec.Nodes[0].Partition {
			replica = spec.Addr(n.Host, n.Port)
		}
	}
	c := redisconn.New(replica, newPW, 2*time.Second, 1)
	_ = c.Do(ctx, "SHUTDOWN", "NOSAVE").Err()
	c.Close()
	if yes, _ := accepts(newPW); len(yes) == len(addrs) {
		t.Fatalf("the replica at %s did not stop", replica)
	}
	apply("starting the stopped replica")
	accepted("after a restart during the rotation", "the previous password", oldPW, true)
	accepted("after a restart during the rotation", "the new password", newPW, true)
	linksUp("after a restart during the rotation")
	// A password added by hand meanwhile is drift, and apply removes it.
	const extra = "added-By-Hand-pa55word"
	c = redisconn.New(addrs[0], newPW, 2*time.Second, 1)
	err = c.Do(ctx, "ACL", "SETUSER", "default", ">"+extra).Err()
	c.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, out := plan()
	if code != 2 || !strings.Contains(out, "1 other password") || !strings.Contains(out, "outside roma") {
		t.Errorf("plan after a password was added by hand: exit %d, want 2 and drift:\n%s", code, out)
	}
	apply("removing the password added by hand")
	accepted("after removing the password added by hand", "it", extra, false)
	accepted("after removing the password added by hand", "the previous password", oldPW, true)

	// Every client uses the new password: the rotation ends.
	if err := os.WriteFile(conf, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	rotate("of the rotation's end", "accepts passwords roma.hcl does not give", false)
	for _, pw := range []string{oldPW, newPW} {
		if strings.Contains(all.String(), pw) {
			t.Errorf("a password shows in roma's output:\n%s", all.String())
		}
	}
}
