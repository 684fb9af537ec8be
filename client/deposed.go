package client

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/status"
)

// A master that pauses (a stalled VM or disk, SIGSTOP) or is cut off from
// romad for down_after is failed over while the commands sent to it wait.
// Once it answers again it runs them, and replies OK, though its replicas
// have left it: romad then makes it a replica of the new master, and what
// it took is gone. Such a write must not be reported done. The client
// sees it by the status: a newer one, in which the node is no longer the
// master and was not handed over (deposed).

// deposed returns the error of a write that node n ran, sent at sent on
// view v, when romad failed n, a partition master in v, over while the
// command was out; else nil (n served none as master: a replica).
func (c *Client) deposed(ctx context.Context, v *view, n *node, sent time.Time) error {
	if c.w.view().epoch <= v.epoch && time.Since(sent) < c.opt.DownAfter/2 {
		return nil // the common case: a quick reply, and no newer status
	}
	if !v.isMaster(n) {
		return nil
	}
	return deposedIn(v, c.viewAfter(ctx, v, sent), n)
}

// viewAfter returns the view to check writes sent at sent on view v
// against: the current one, read again first when it is no newer than v
// and the reply took DownAfter/2 or more, since romad may have failed the
// master over just before it answered.
func (c *Client) viewAfter(ctx context.Context, v *view, sent time.Time) *view {
	cur := c.w.view()
	if cur.epoch <= v.epoch && time.Since(sent) >= c.opt.DownAfter/2 {
		c.w.refresh(ctx)
		cur = c.w.view()
	}
	return cur
}

// deposedIn is deposed against the view cur.
func deposedIn(v, cur *view, n *node) error {
	if cur.epoch <= v.epoch || cur.status == nil {
		return nil
	}
	for p := range v.parts {
		if v.parts[p].master != n || p >= len(cur.status.Partitions) {
			continue
		}
		if now := cur.status.Partitions[p]; wasDeposed(cur.status, now, n.Name) {
			return fmt.Errorf("%w: node %s (%s, partition %d) ran it, but romad made %s meanwhile (epoch %d): the write is likely lost",
				ErrDeposed, n.Name, n.Addr, p, newMaster(now.Master), cur.epoch)
		}
	}
	return nil
}

// wasDeposed reports whether name, a master before st, was failed over in
// st: it is not its partition's master, nor the master the partition
// waits for in HALT (it leads again once back, its writes kept), nor in a
// planned switchover (FAILOVER, by roma apply or stop, brings the new
// master up to date before the roles swap: the old one then runs as its
// replica, up or syncing). A master failed over is down, or back as a
// second master, when romad publishes the failover.
func wasDeposed(st *status.Status, part status.Partition, name string) bool {
	if part.Master == name || part.Lost == name {
		return false
	}
	ns, ok := st.Nodes[name]
	return !ok || ns.State == status.NodeDown || ns.Role != "replica"
}

// newMaster says what romad made of a partition whose master it failed
// over.
func newMaster(name string) string {
	if name == "" {
		return "it masterless (HALT)"
	}
	return name + " master"
}

// succeeded reports whether cmd got a reply other than an error.
func succeeded(cmd redis.Cmder) bool {
	if cmd.Err() != nil {
		return false
	}
	if rc, ok := cmd.(*redis.RawCmd); ok {
		if b := rc.Val(); len(b) > 0 && b[0] == '-' {
			return false
		}
	}
	return true
}

// writes reports whether cmd, which succeeded, may have written: the
// routing table does not flag it read-only.
func writes(cmd redis.Cmder) bool {
	args := cmd.Args()
	if len(args) == 0 {
		return false
	}
	info := lookup(argString(args[0]))
	return info == nil || info.flags&readOnly == 0
}
