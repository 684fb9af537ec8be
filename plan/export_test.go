package plan_test

import (
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconf"
)

func redisconfTarget(spec *cluster.Spec, n cluster.Node) redisconf.Target {
	return redisconf.DataTarget(spec, n)
}
