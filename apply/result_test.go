package apply

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFailureString(t *testing.T) {
	tests := map[string]struct {
		f    Failure
		want string
	}{
		"on a host": {
			Failure{Address: "node.db1-6379", Host: "db1", Err: errors.New("CONFIG SET maxmemory 1gb on db1-6379: ERR")},
			"node.db1-6379 on db1: CONFIG SET maxmemory 1gb on db1-6379: ERR",
		},
		"the error names the host already": {
			Failure{Address: "node.db1-6379", Host: "db1", Err: errors.New("db1: start db1-6379: redis-server exited with status 1")},
			"node.db1-6379 on db1: start db1-6379: redis-server exited with status 1",
		},
		"no host (a partition)": {
			Failure{Address: "partition.2", Err: errors.New("node db1-6379 is not available, so partition 2 cannot be set up")},
			"partition.2: node db1-6379 is not available, so partition 2 cannot be set up",
		},
		"a host named like the start of the error": {
			Failure{Address: "romad.db", Host: "db", Err: errors.New("db1: unreachable")},
			"romad.db on db: db1: unreachable",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.f.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
