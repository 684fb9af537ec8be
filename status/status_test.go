package status

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The status hash carries every partition's master, replicas and lost
// master; a lost master is read back as LastMaster where there is no
// master.
func TestFieldsRoundTrip(t *testing.T) {
	s := &Status{Version: SchemaVersion, Cluster: "c", State: Halt, Epoch: 7, Alpha: "db1", Hash: "jump",
		Updated: time.Date(2026, 11, 27, 21, 0, 0, 0, time.UTC),
		Partitions: []Partition{
			{Master: "a0", Replicas: []string{"a1"}},
			{Replicas: []string{"b0", "b1"}, Lost: "b1"},
			{Replicas: []string{"c0", "c1"}},
		},
		Nodes: map[string]NodeState{}}
	got, err := FromFields(s.Fields())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s, got); diff != "" {
		t.Errorf("status after Fields and FromFields (-want +got):\n%s", diff)
	}
	var last []string
	for p := range 4 {
		last = append(last, got.LastMaster(p))
	}
	if diff := cmp.Diff([]string{"a0", "b1", "", ""}, last); diff != "" {
		t.Errorf("LastMaster (-want +got):\n%s", diff)
	}
	if m := (*Status)(nil).LastMaster(0); m != "" {
		t.Errorf("LastMaster of no status: %q", m)
	}
}
