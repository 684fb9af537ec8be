package cluster

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSecretNeverPrints(t *testing.T) {
	s := NewSecret("hunter2")
	outs := map[string]string{
		"%v":  fmt.Sprintf("%v", s),
		"%s":  fmt.Sprintf("%s", s),
		"%q":  fmt.Sprintf("%q", s),
		"%#v": fmt.Sprintf("%#v", s),
		"%+v": fmt.Sprintf("%+v", struct{ P Secret }{s}),
		"%x":  fmt.Sprintf("%x", s),
	}
	b, err := json.Marshal(struct{ P Secret }{s})
	if err != nil {
		t.Fatal(err)
	}
	outs["json"] = string(b)
	for verb, out := range outs {
		if strings.Contains(out, "hunter2") || strings.Contains(out, fmt.Sprintf("%x", "hunter2")) {
			t.Errorf("%s printed the secret: %s", verb, out)
		}
		if !strings.Contains(out, Redacted) {
			t.Errorf("%s = %q, want it to say %s", verb, out, Redacted)
		}
	}
	if s.Reveal() != "hunter2" {
		t.Errorf("Reveal() = %q", s.Reveal())
	}
}

func TestSettingsMerge(t *testing.T) {
	base := Settings{"maxmemory": {Values: []string{"256mb"}}, "appendonly": {Values: []string{"yes"}}}
	over := Settings{"maxmemory": {Values: []string{"1gb"}}}
	got := base.Merge(over)
	want := Settings{"maxmemory": {Values: []string{"1gb"}}, "appendonly": {Values: []string{"yes"}}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Merge (-want +got):\n%s", d)
	}
	if base["maxmemory"].Values[0] != "256mb" {
		t.Error("Merge modified its receiver")
	}
	if d := cmp.Diff([]string{"appendonly", "maxmemory"}, got.Names()); d != "" {
		t.Errorf("Names (-want +got):\n%s", d)
	}
}

func TestPartitionNodes(t *testing.T) {
	s := &Spec{
		Hosts: []Host{{Name: "a", Address: "10.0.0.1"}},
		Nodes: []Node{{Name: "n1", Host: "a", Port: 1, Partition: 1}, {Name: "n2", Host: "a", Port: 2, Partition: 0}, {Name: "n3", Host: "a", Port: 3, Partition: 1}},
	}
	var names []string
	for _, n := range s.PartitionNodes(1) {
		names = append(names, n.Name)
	}
	if d := cmp.Diff([]string{"n1", "n3"}, names); d != "" {
		t.Errorf("PartitionNodes (-want +got):\n%s", d)
	}
	if got := s.Addr("a", 7000); got != "10.0.0.1:7000" {
		t.Errorf("Addr = %q", got)
	}
}
