package main

import (
	"context"
	"testing"
	"time"

	"github.com/roma-redis/roma/client/clienttest"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/status"
)

// labCluster brings up a lab of 4 hosts with a cluster of 3 partitions,
// its nodes running and replicating, and publishes its status as romad
// would (a status of its own when st is given, else OK at epoch 1, each
// partition's first node its master). roma finds the password in the
// environment. It returns roma.hcl's directory, the spec and the status.
func labCluster(t *testing.T, st func(*cluster.Spec) *status.Status) (string, *cluster.Spec, *status.Status) {
	t.Helper()
	return labClusterIn(t, lab.New(t, lab.Options{Hosts: 4}), st)
}

// labClusterIn is labCluster in lab l, for a test that needs the lab's
// hosts too.
func labClusterIn(t *testing.T, l *lab.Lab, st func(*cluster.Spec) *status.Status) (string, *cluster.Spec, *status.Status) {
	t.Helper()
	dir := plantest.Config(t, l, 3, "")
	spec := plantest.Load(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := plantest.Bootstrap(ctx, spec); err != nil {
		t.Fatal(err)
	}
	s := clienttest.Status(spec, 1, nil)
	if st != nil {
		s = st(spec)
	}
	if err := clienttest.Publish(ctx, spec, s); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ROMA_VAR_redis_password", plantest.Password)
	return dir, spec, s
}
