package remote_test

import (
	"testing"

	"github.com/roma-redis/roma/remote"
	"github.com/roma-redis/roma/remote/remotetest"
)

func TestLocalConformance(t *testing.T) {
	remotetest.Run(t, func(t *testing.T) remote.Transport {
		return remote.NewLocal("local")
	}, t.TempDir())
}
