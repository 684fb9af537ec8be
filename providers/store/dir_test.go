package store_test

import (
	"testing"

	"github.com/roma-redis/roma/providers/store"
	"github.com/roma-redis/roma/providers/store/storetest"
)

func TestDirConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return store.Dir(t.TempDir()) })
}
