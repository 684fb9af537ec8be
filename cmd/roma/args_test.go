package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNormalizeArgs(t *testing.T) {
	root := newRootCmd(&streams{})
	tests := []struct{ in, want string }{
		{"plan -json -detailed-exitcode", "plan --json --detailed-exitcode"},
		{"plan -c x -var-file=a.hcl", "plan -c x --var-file=a.hcl"},
		{"validate -json -- -json", "validate --json -- -json"},
		{"cli -raw SET k -raw", "cli --raw SET k -raw"},
		{"cli -c cluster -json GET -json", "cli -c cluster --json GET -json"},
		{"cli --config cluster SET k --raw", "cli --config cluster SET k --raw"},
		{"cli -c cli SET cli -pipe", "cli -c cli SET cli -pipe"},
	}
	for _, tt := range tests {
		got := strings.Join(normalizeArgs(root, strings.Fields(tt.in)), " ")
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("normalizeArgs(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}
