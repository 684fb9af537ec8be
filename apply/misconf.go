package apply

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconf"
)

// isMisconf reports whether err is Redis's MISCONF: a node that cannot
// save its data (a snapshot failed: a full disk, its data directory
// removed) refuses writes, and PING, until a save succeeds.
func isMisconf(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "MISCONF")
}

// cannotSave reports whether the node c reaches runs but cannot save its
// data (isMisconf), and returns the first sentence of what it said.
func cannotSave(ctx context.Context, c *redis.Client) (string, bool) {
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := c.Ping(pctx).Err()
	if !isMisconf(err) {
		return "", false
	}
	msg, _, _ := strings.Cut(err.Error(), ". ")
	return msg, true
}

// unsavable is the error for node tg, which cannot save (it said said),
// left running because of why: it says what to fix.
func unsavable(tg redisconf.Target, said, why string) error {
	return fmt.Errorf("%s cannot save its data (%q)%s. "+
		"Fix what stops it saving (see %s on %s: a full disk, its data directory removed), have it save (BGSAVE), then run roma again; it is left running",
		tg.Name, said, why, cluster.LayoutOf(tg.Host).Log(tg.Name), tg.Host.Name)
}

// stopUnsaving makes way for the restart of a data node that runs but
// cannot save (cannotSave). SIGTERM does not stop such a node, since
// Redis will not exit without saving: the service manager would wait its
// stop timeout, then kill it, and every write the node took since its
// last save would go with it. When another node is the partition's
// master (romad failed it over), that node holds the data, and this one
// is stopped at once without saving (SHUTDOWN NOSAVE): it comes back as
// its replica and copies the data. Otherwise it is left running, and the
// error says what to fix first.
func (e *executor) stopUnsaving(ctx context.Context, tg redisconf.Target, master *redisconf.Target) error {
	c := e.client(ctx, tg)
	said, ok := cannotSave(ctx, c)
	c.Close()
	if !ok {
		return nil
	}
	if master == nil || master.Name == tg.Name {
		return unsavable(tg, said, fmt.Sprintf(": a restart would lose every write it took since its last save, and no other node holds partition %d's data", tg.Partition))
	}
	if err := e.shutdownNoSave(ctx, tg); err != nil {
		return fmt.Errorf("%w (it cannot save its data: %q; see %s on %s)", err, said, cluster.LayoutOf(tg.Host).Log(tg.Name), tg.Host.Name)
	}
	return nil
}
