package apply

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconf"
)

// cannotSave reports whether the node at tg runs but cannot save its data:
// it answers PING with MISCONF (a snapshot failed: a full disk, its data
// directory removed), and refuses writes until a save succeeds. It
// returns what the node said.
func (e *executor) cannotSave(ctx context.Context, tg redisconf.Target) (string, bool) {
	c := e.client(ctx, tg)
	defer c.Close()
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := c.Ping(pctx).Err()
	if err == nil || !strings.HasPrefix(err.Error(), "MISCONF") {
		return "", false
	}
	msg, _, _ := strings.Cut(err.Error(), ". ")
	return msg, true
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
	said, ok := e.cannotSave(ctx, tg)
	if !ok {
		return nil
	}
	log := cluster.LayoutOf(tg.Host).Log(tg.Name)
	if master == nil || master.Name == tg.Name {
		return fmt.Errorf("%s cannot save its data (%q): a restart would lose every write it took since its last save, and no other node holds partition %d's data. "+
			"Fix what stops it saving (see %s on %s: a full disk, its data directory removed), have it save (BGSAVE), then run roma again; it is left running",
			tg.Name, said, tg.Partition, log, tg.Host.Name)
	}
	if err := e.shutdownNoSave(ctx, tg); err != nil {
		return fmt.Errorf("%w (it cannot save its data: %q; see %s on %s)", err, said, log, tg.Host.Name)
	}
	return nil
}
