package backup

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisinfo"
)

// snapshotConsistent takes every partition's snapshot while writes are
// paused on every master: it pauses them all (CLIENT PAUSE WRITE, with
// the pause timeout as Redis's own bound), reads each master's
// replication offset, waits until each source replica has caught up to
// it, asks every source for its snapshot (PSYNC) and waits for each to
// answer +FULLRESYNC, which a node sends once it has forked the snapshot;
// then it lifts the pause. A snapshot at an offset below the master's
// paused offset (a node that attached the request to an older snapshot)
// fails the backup. It returns how long writes were paused.
func snapshotConsistent(ctx context.Context, parts []Partition, conns []*syncConn, cl Clients, opts Options) (time.Duration, error) {
	ms := opts.PauseTimeout.Milliseconds()
	deadline := time.Now().Add(opts.PauseTimeout - min(opts.PauseTimeout/5, time.Second))
	masters := make([]pausedMaster, len(parts))
	for i, p := range parts {
		masters[i].c = cl.New(p.Master.Addr)
		defer masters[i].c.Close()
	}
	start := time.Now()
	errs := make([]error, len(parts))
	parallel(len(parts), func(i int) {
		errs[i] = masters[i].pause(ctx, ms)
		if errs[i] != nil {
			errs[i] = fmt.Errorf("partition %d: CLIENT PAUSE on %s: %w", i, parts[i].Master.Node.Name, cluster.NewSecret(cl.Password).RedactError(errs[i]))
		}
	})
	if err := errors.Join(errs...); err == nil {
		parallel(len(parts), func(i int) {
			errs[i] = snapshotAt(ctx, parts[i], conns[i], masters[i].offset, deadline, cl)
		})
	}
	// Lift the pause whatever happened, even if ctx is done.
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	uerrs := make([]error, len(parts))
	parallel(len(parts), func(i int) {
		if masters[i].paused {
			if err := masters[i].c.Do(uctx, "CLIENT", "UNPAUSE").Err(); err != nil {
				uerrs[i] = fmt.Errorf("partition %d: CLIENT UNPAUSE on %s: %w (Redis lifts the pause by itself after %s)",
					i, parts[i].Master.Node.Name, err, opts.PauseTimeout)
			}
		}
	})
	paused := time.Since(start)
	for _, c := range conns {
		c.deadline = time.Time{}
	}
	return paused, errors.Join(errors.Join(errs...), errors.Join(uerrs...))
}

// pausedMaster is a master a consistent backup pauses.
type pausedMaster struct {
	c      *redis.Client
	paused bool
	offset int64 // master_repl_offset once paused
}

// pause pauses writes for at most ms milliseconds and reads the offset
// in the same round trip.
func (m *pausedMaster) pause(ctx context.Context, ms int64) error {
	var info *redis.StringCmd
	cmds, err := m.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Do(ctx, "CLIENT", "PAUSE", ms, "WRITE")
		info = p.Info(ctx, "replication")
		return nil
	})
	if len(cmds) > 0 && cmds[0].Err() == nil {
		m.paused = true
	}
	if err != nil {
		return err
	}
	ri := redisinfo.Parse(info.Val())
	if _, ok := ri["master_repl_offset"]; !ok {
		return fmt.Errorf("no master_repl_offset in INFO replication")
	}
	m.offset = ri.Int("master_repl_offset")
	return nil
}

// snapshotAt has partition p's source take its snapshot at or after the
// master's paused offset, before deadline.
func snapshotAt(ctx context.Context, p Partition, c *syncConn, offset int64, deadline time.Time, cl Clients) error {
	src := p.Source
	if src != p.Master {
		rc := cl.New(src.Addr)
		defer rc.Close()
		for {
			info, err := rc.Info(ctx, "replication").Result()
			if err != nil {
				return fmt.Errorf("partition %d: INFO on %s: %w", p.P, src.Node.Name, cluster.NewSecret(cl.Password).RedactError(err))
			}
			got := redisinfo.Parse(info).Int("slave_repl_offset")
			if got >= offset {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("partition %d: replica %s did not catch up with its paused master (offset %d of %d) within the pause",
					p.P, src.Node.Name, got, offset)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	c.deadline = deadline
	if err := snapshotNow(ctx, c, cl); err != nil {
		if time.Now().After(deadline) {
			return fmt.Errorf("partition %d: %s did not start its snapshot within the pause: %w", p.P, src.Node.Name, err)
		}
		return fmt.Errorf("partition %d: PSYNC on %s: %w", p.P, src.Node.Name, ctxErr(ctx, err))
	}
	if c.Offset < offset {
		return fmt.Errorf("partition %d: %s answered with a snapshot at offset %d, older than the pause (offset %d): "+
			"another replica's full sync was under way; try again", p.P, src.Node.Name, c.Offset, offset)
	}
	return nil
}

// catchUp waits, at most wait, until partition p's source replica has
// its master's replication offset as it was when the wait began.
func catchUp(ctx context.Context, p Partition, cl Clients, wait time.Duration) bool {
	mc := cl.New(p.Master.Addr)
	defer mc.Close()
	info, err := mc.Info(ctx, "replication").Result()
	if err != nil {
		return false
	}
	ri := redisinfo.Parse(info)
	if _, ok := ri["master_repl_offset"]; !ok {
		return false
	}
	want := ri.Int("master_repl_offset")
	rc := cl.New(p.Source.Addr)
	defer rc.Close()
	deadline := time.Now().Add(wait)
	for {
		if info, err := rc.Info(ctx, "replication").Result(); err == nil {
			if redisinfo.Parse(info).Int("slave_repl_offset") >= want {
				return true
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
}
