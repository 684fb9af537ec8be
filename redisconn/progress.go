package redisconn

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/redisinfo"
)

// A Probe looks at work under way on one or more nodes: a dataset being
// loaded, saved or sent to a replica. done ends the wait, with err as its
// outcome (nil: the work is over). counters are readings that grow while
// the work moves on (bytes loaded, keys saved, a replication offset),
// always in the same order. err, when not done, says where the work
// stands, or why the nodes could not be read; a wait that gives up
// returns it.
type Probe func(ctx context.Context) (done bool, counters []int64, err error)

// WaitProgress calls probe every interval until it is done, and gives
// up once no counter has risen above its highest reading for stall. Work
// that takes as long as the data, a large dataset loaded at start or sent
// to a replica, may run far longer than stall, as long as it moves on; a
// node that stopped, or a sync that starts over and over (a replica
// dropped each time by its master's output buffer limit), does not get
// past its earlier readings and is given up on after stall.
func WaitProgress(ctx context.Context, stall, interval time.Duration, probe Probe) error {
	var high []int64
	moved := time.Now()
	for {
		done, counters, err := probe(ctx)
		if done {
			return err
		}
		for i, c := range counters {
			if i >= len(high) {
				high = append(high, c)
				moved = time.Now()
			} else if c > high[i] {
				high[i] = c
				moved = time.Now()
			}
		}
		if err == nil {
			err = errors.New("not done")
		}
		if time.Since(moved) >= stall {
			return fmt.Errorf("%w (no progress for %s)", err, stall)
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (%w while waiting)", err, ctx.Err())
		case <-t.C:
		}
	}
}

// Loading reports whether info (INFO persistence) shows a dataset being
// loaded, at start or in a full sync, and how many bytes of it are in.
func Loading(info redisinfo.Info) (bool, int64) {
	return info.Int("loading") == 1 || info.Int("async_loading") == 1, info.Int("loading_loaded_bytes")
}

// WaitLoaded waits until c's node answers and has loaded its dataset. It
// gives up when the node has not answered, or its load has not moved on,
// for stall.
func WaitLoaded(ctx context.Context, c *redis.Client, stall time.Duration) error {
	return WaitProgress(ctx, stall, loadingRetry, func(ctx context.Context) (bool, []int64, error) {
		loading, loaded, err := loadingOf(ctx, c)
		if err != nil {
			return false, nil, err
		}
		if !loading {
			return true, nil, nil
		}
		return false, []int64{loaded}, fmt.Errorf("still loading its dataset (%d bytes in)", loaded)
	})
}

// SyncCounters are the readings that rise while replica (its INFO
// replication and persistence) syncs with master (its INFO persistence):
// the master loading its own dataset first, if it has just started, then
// saving it for the replica, the replica reading it, then loading it,
// then its replication offset.
// The master's count of keys saved counts only while the replica waits
// for its dataset: another save (a backup's, a periodic one) is no
// progress of this sync.
func SyncCounters(master, replica redisinfo.Info) []int64 {
	_, loaded := Loading(replica)
	_, masterLoaded := Loading(master)
	var saved int64
	if replica.Int("master_sync_in_progress") == 1 {
		saved = master.Int("current_save_keys_processed")
	}
	return []int64{
		masterLoaded,
		saved,
		replica.Int("master_sync_read_bytes"),
		loaded,
		replica.Offset(),
	}
}

// loadingOf reads Loading from c's node.
func loadingOf(ctx context.Context, c *redis.Client) (bool, int64, error) {
	reply, err := c.Info(ctx, "persistence").Result()
	if err != nil {
		return false, 0, err
	}
	loading, loaded := Loading(redisinfo.Parse(reply))
	return loading, loaded, nil
}

// WaitSynced waits until replica follows master (at masterAddr, host:port)
// with its link up, no sync under way, and its offset caught up with the
// master's offset as it is when the wait begins. A full sync of a large
// dataset may take far longer than stall: the wait gives up only when the
// sync has not moved on (SyncCounters) for stall. A replica that stops
// following masterAddr meanwhile (romad failed the master over, and
// promoted it or repointed it to the new master) ends the wait at once
// (once it has for repointGrace) with a *NotFollowingError: its offset,
// which rises as it follows another, is no progress of this sync.
func WaitSynced(ctx context.Context, replica, master *redis.Client, masterAddr string, stall time.Duration) error {
	reply, err := master.Info(ctx, "replication").Result()
	if err != nil {
		return fmt.Errorf("INFO on the master: %w", err)
	}
	want := redisinfo.Parse(reply).Offset()
	var left time.Time // when the replica was first seen following another
	return WaitProgress(ctx, stall, loadingRetry, func(ctx context.Context) (bool, []int64, error) {
		reply, err := replica.Info(ctx, "replication", "persistence").Result()
		if err != nil {
			return false, nil, err
		}
		st := redisinfo.Parse(reply)
		if st.MasterAddr() != masterAddr && st["role"] != "" {
			if left.IsZero() {
				left = time.Now()
			}
			if time.Since(left) >= repointGrace {
				return true, nil, &NotFollowingError{Want: masterAddr, Follows: st.MasterAddr()}
			}
			return false, nil, fmt.Errorf("role %s, following %q, not %s", st["role"], st.MasterAddr(), masterAddr)
		}
		left = time.Time{}
		if st.LinkUp() && st.Int("master_sync_in_progress") == 0 && st.Offset() >= want {
			return true, nil, nil
		}
		var mi redisinfo.Info // the master's save counts only while it runs
		if reply, err := master.Info(ctx, "persistence").Result(); err == nil {
			mi = redisinfo.Parse(reply)
		}
		return false, SyncCounters(mi, st), fmt.Errorf("role %s, following %s, link up %v, offset %d of %d",
			st["role"], st.MasterAddr(), st.LinkUp(), st.Offset(), want)
	})
}

// repointGrace is how long a replica must follow another master before
// WaitSynced takes it as repointed: a romad that has not yet followed a
// switchover under way may repoint it back for a moment.
const repointGrace = 2 * time.Second

// NotFollowingError is WaitSynced's error for a replica that no longer
// follows the master it waited on.
type NotFollowingError struct {
	Want    string // the master's address it waited on
	Follows string // the master it follows now; "" when it is a master itself
}

func (e *NotFollowingError) Error() string {
	if e.Follows == "" {
		return "it is a master now, no longer a replica of " + e.Want
	}
	return "it follows " + e.Follows + " now, not " + e.Want
}

// EnableAOF turns appendonly on at c's node, which has Redis write an
// append-only file from the data it holds, and waits for that file as long
// as its writing moves on: a node that is then restarted with appendonly
// yes in its conf file finds it and loads it. Restarted with appendonly
// yes and no append-only file, Redis would start empty: it reads no
// snapshot while AOF is on.
func EnableAOF(ctx context.Context, c *redis.Client, stall time.Duration) error {
	if err := c.ConfigSet(ctx, "appendonly", "yes").Err(); err != nil {
		return fmt.Errorf("CONFIG SET appendonly yes: %w", err)
	}
	// A replica in a full sync writes the file once the sync is over:
	// meanwhile its sync is the progress.
	return WaitProgress(ctx, stall, loadingRetry, func(ctx context.Context) (bool, []int64, error) {
		reply, err := c.Info(ctx, "persistence", "replication").Result()
		if err != nil {
			return false, nil, err
		}
		kv := redisinfo.Parse(reply)
		_, loaded := Loading(kv)
		counters := []int64{kv.Int("current_save_keys_processed"), kv.Int("master_sync_read_bytes"), loaded}
		if kv["aof_enabled"] == "1" && kv["aof_rewrite_in_progress"] == "0" && kv["aof_rewrite_scheduled"] == "0" {
			if kv["aof_last_bgrewrite_status"] != "ok" {
				return true, nil, errors.New("writing the append-only file failed (see the node's log)")
			}
			return true, nil, nil
		}
		return false, counters, errors.New("the append-only file is still being written")
	})
}
