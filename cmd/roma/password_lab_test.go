package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/roma-redis/roma/plan/plantest"
)

// TestApplyRefusesUnknownPassword: with a password in roma.hcl that the
// running nodes do not have, plan says it cannot see them and apply
// refuses before it touches anything; back with the nodes' password, the
// plan has no changes.
func TestApplyRefusesUnknownPassword(t *testing.T) {
	dir, _, _ := labCluster(t, nil)
	roma := func(args ...string) (int, string) {
		var out bytes.Buffer
		code := run(args, nil, &out, &out)
		return code, out.String()
	}
	if code, out := roma("apply", "-c", dir, "-auto-approve"); code != 0 {
		t.Fatalf("apply of the lab cluster: exit %d\n%s", code, out)
	}
	t.Setenv("ROMA_VAR_redis_password", "a-password-the-nodes-do-not-have")
	code, out := roma("plan", "-c", dir, "-detailed-exitcode")
	if code != 1 || !strings.Contains(out, "runs with another password than roma.hcl's") || strings.Contains(out, "promote") {
		t.Errorf("plan: exit %d, want 1, a refusal and no promotion:\n%s", code, out)
	}
	code, out = roma("apply", "-c", dir, "-auto-approve")
	if code != 1 || !strings.Contains(out, "refusing to apply") || strings.Contains(out, "writing") {
		t.Errorf("apply: exit %d, want 1 and a refusal before any write:\n%s", code, out)
	}
	if strings.Contains(out, "a-password-the-nodes-do-not-have") {
		t.Errorf("the password shows:\n%s", out)
	}
	t.Setenv("ROMA_VAR_redis_password", plantest.Password)
	if code, out := roma("plan", "-c", dir, "-detailed-exitcode"); code != 0 {
		t.Errorf("plan with the nodes' password: exit %d, want 0 (nothing was touched)\n%s", code, out)
	}
}
