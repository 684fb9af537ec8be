package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roma-redis/roma/lab"
)

// TestLogsInOncePerHost: roma plan observes every host, then has the
// hosts whose conf files it would write check them with their own
// redis-server, over the same SSH connection: one login per host (the
// check used to dial again). roma apply logs in once more, for the
// changes, however many of its steps run on a host at once.
func TestLogsInOncePerHost(t *testing.T) {
	l := lab.New(t, lab.Options{Hosts: 4})
	dir, _, _ := labClusterIn(t, l, nil)
	// A setting every data node's conf file changes with.
	f := filepath.Join(dir, "roma.hcl")
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(b), `maxmemory        = "64mb"`, `maxmemory        = "65mb"`, 1)
	if changed == string(b) {
		t.Fatal("roma.hcl has no maxmemory line to change")
	}
	if err := os.WriteFile(f, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}

	logins := func() map[string]int {
		n := map[string]int{}
		for _, h := range l.Hosts {
			log, err := os.ReadFile(filepath.Join(h.Dir, "sshd.log"))
			if err != nil {
				t.Fatal(err)
			}
			n[h.Name] = strings.Count(string(log), "Accepted publickey")
		}
		return n
	}
	before := logins()
	var out, errOut bytes.Buffer
	code := run([]string{"plan", "-c", dir}, strings.NewReader(""), &out, &errOut)
	after := logins()
	if !strings.Contains(out.String(), "maxmemory") {
		t.Fatalf("the plan does not change maxmemory (exit %d):\n%s%s", code, out.String(), errOut.String())
	}
	for _, h := range l.Hosts {
		if n := after[h.Name] - before[h.Name]; n != 1 {
			t.Errorf("host %s: %d SSH logins during roma plan, want 1", h.Name, n)
		}
	}

	before = logins()
	out.Reset()
	errOut.Reset()
	if code := run([]string{"apply", "-c", dir, "-auto-approve"}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	after = logins()
	for _, h := range l.Hosts {
		if n := after[h.Name] - before[h.Name]; n != 2 {
			t.Errorf("host %s: %d SSH logins during roma apply, want 2 (the plan's, then the changes')", h.Name, n)
		}
	}
}
