package report

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/roma-redis/roma/status"
)

// TestPasswordRefused: a report that saw nothing of the cluster because
// its nodes refuse roma.hcl's password says so (roma status then exits 1
// with it, not 3 with a HALT that is roma.hcl's); one that saw anything,
// or whose nodes are down for another reason, does not. A node that
// refuses it among others that accept it is a problem that names the
// password.
func TestPasswordRefused(t *testing.T) {
	const wrongpass = "WRONGPASS invalid username-password pair or user is disabled."
	fix := "give roma.hcl the password the nodes have (was the password changed in roma.hcl, or a -var, -var-file or ROMA_VAR_ value left out?)"
	refusing := func(r status.Reading) status.Reading {
		for a := range r.Errors {
			r.Errors[a] = wrongpass
		}
		return r
	}
	allProbes := func(err string) map[string]Probe {
		return map[string]Probe{"db1-7000": {Err: err}, "db2-7000": {Err: err}, "db2-7001": {Err: err}, "db1-7001": {Err: err}}
	}
	someDown := allProbes(wrongpass)
	someDown["db2-7001"] = Probe{Err: "dial tcp 10.0.0.2:7001: connect: connection refused"}
	oneRefuses := healthy()
	oneRefuses["db1-7001"] = Probe{Err: wrongpass}
	for _, tc := range []struct {
		name    string
		reading status.Reading
		probes  map[string]Probe
		want    string // PasswordRefused's error; "" for none
		problem string // a problem the report must have; "" for none
	}{
		{name: "every node refuses", reading: refusing(reading(nil, 0, 0, 0)), probes: allProbes(wrongpass),
			want: "every node refuses roma.hcl's password (" + wrongpass + "): the cluster's state cannot be seen; " + fix},
		{name: "the rest do not answer", reading: refusing(reading(nil, 0, 0, 0)), probes: someDown,
			want: "no node accepts roma.hcl's password: 6 refuse it (" + wrongpass + ") and the other 1 does not answer, so the cluster's state cannot be seen; " + fix},
		{name: "a status node answers", reading: reading(published(status.OK, 4), 4, 0, 0), probes: allProbes(wrongpass),
			problem: "node db2-7000 of partition 0 refuses roma.hcl's password (" + wrongpass + "): it is down to roma and to clients"},
		{name: "a data node answers", reading: refusing(reading(nil, 0, 0, 0)), probes: oneRefuses,
			problem: "status node st1 (10.0.0.1:7100) refuses roma.hcl's password (" + wrongpass + "): it is down to roma and to clients"},
		{name: "everything down", reading: reading(nil, 0, 0, 0), probes: allProbes("connection refused")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Build(Inputs{Spec: testSpec(), Reading: tc.reading, Probes: tc.probes, Now: now})
			got := ""
			if err := r.PasswordRefused(); err != nil {
				got = err.Error()
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("PasswordRefused (-want +got):\n%s", d)
			}
			if tc.problem != "" && !slices.Contains(r.Problems, tc.problem) {
				t.Errorf("problems %q: want %q among them", r.Problems, tc.problem)
			}
		})
	}
}
