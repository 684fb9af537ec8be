package backup

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPasswordRefused: backup and restore say once that the nodes refuse
// roma.hcl's password when every data node that runs does, and leave a
// partial refusal, or nodes merely down, to the per-partition reasons.
func TestPasswordRefused(t *testing.T) {
	wrongpass := errors.New("WRONGPASS invalid username-password pair or user is disabled.")
	down := errors.New("dial tcp 127.0.0.1:7000: connect: connection refused")
	parts := func(errs ...error) []Partition {
		var p Partition
		for _, e := range errs {
			p.Nodes = append(p.Nodes, NodeState{Err: e, Role: "master"})
		}
		return []Partition{p}
	}
	for _, tc := range []struct {
		name  string
		parts []Partition
		want  string
	}{
		{"all refuse", parts(wrongpass, wrongpass, wrongpass),
			"every data node that runs (3) refuses roma.hcl's password (" + wrongpass.Error() + "): give roma.hcl the password the nodes have (was the password changed in roma.hcl, or a -var, -var-file or ROMA_VAR_ value left out?)"},
		{"all that run refuse", parts(wrongpass, down, wrongpass),
			"every data node that runs (2) refuses roma.hcl's password (" + wrongpass.Error() + "): give roma.hcl the password the nodes have (was the password changed in roma.hcl, or a -var, -var-file or ROMA_VAR_ value left out?)"},
		{"one answers", parts(wrongpass, nil, wrongpass), ""},
		{"only one runs", parts(wrongpass, down), ""},
		{"all down", parts(down, down), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ""
			if err := PasswordRefused(tc.parts); err != nil {
				got = err.Error()
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("PasswordRefused (-want +got):\n%s", d)
			}
		})
	}
}
