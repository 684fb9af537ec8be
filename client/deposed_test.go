package client

import (
	"testing"

	"github.com/roma-redis/roma/status"
)

// TestWasDeposed: which statuses say that a partition's master n1 was
// failed over, so that a write it ran meanwhile is likely lost.
func TestWasDeposed(t *testing.T) {
	node := func(state, role string) map[string]status.NodeState {
		return map[string]status.NodeState{"n1": {State: state, Role: role}, "n2": {State: status.NodeUp, Role: "master"}}
	}
	for _, tc := range []struct {
		name  string
		part  status.Partition
		nodes map[string]status.NodeState
		want  bool
	}{
		{"still master", status.Partition{Master: "n1"}, node(status.NodeUp, "master"), false},
		{"failed over while down", status.Partition{Master: "n2"}, node(status.NodeDown, ""), true},
		{"failed over, back as a second master", status.Partition{Master: "n2"}, node(status.NodeUp, "master"), true},
		{"HALT waiting for it", status.Partition{Lost: "n1"}, node(status.NodeDown, ""), false},
		{"HALT waiting for another", status.Partition{Lost: "n3"}, node(status.NodeDown, ""), true},
		{"planned switchover", status.Partition{Master: "n2"}, node(status.NodeUp, "replica"), false},
		{"planned switchover, link coming up", status.Partition{Master: "n2"}, node(status.NodeSyncing, "replica"), false},
		{"not in the status", status.Partition{Master: "n2"}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := wasDeposed(&status.Status{Nodes: tc.nodes}, tc.part, "n1"); got != tc.want {
				t.Errorf("wasDeposed = %v, want %v", got, tc.want)
			}
		})
	}
}
