package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
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

// A master that pauses holds the commands sent to it until the client's
// ReadTimeout (roma cli waited its whole 10s), though romad has failed it
// over after down_after. When a status deposes a master, the client cuts
// its connections (watcher.deposedMasters): a command that had not gone out,
// or that only reads, runs again on the new master at once; a write that
// was out fails with ErrDeposed, as it may have run there, where it would
// be lost. Whether a command went out is known by whether its node was
// cut before it was sent: go-redis fails a pipeline that was out with
// "client is closed", as it does one that was not.

// cutOff records why a node's connections were cut: the status that
// deposed it.
type cutOff struct {
	epoch  int64
	master string // the partition's master in that status; "" for none
}

// deposedMasters detaches (nodeSet.detach) the masters of old that st
// deposes, and returns them: once a view of st is in, the caller closes
// their connections, and the commands that ended so run again on it.
func (w *watcher) deposedMasters(old *view, st *status.Status) []*node {
	if old == nil || old.status == nil || st == nil || st.Epoch <= old.epoch {
		return nil
	}
	var out []*node
	for p := range old.parts {
		n := old.parts[p].master
		if n == nil || p >= len(st.Partitions) {
			continue
		}
		if part := st.Partitions[p]; wasDeposed(st, part, n.Name) && w.nodes.detach(n, st.Epoch, part.Master) {
			out = append(out, n)
		}
	}
	return out
}

// errCut is the error of a command that did not run, or only read, on a
// node that was cut (romad deposed it, and the client closed its
// connections): failedOver, it goes again on a newer view.
var errCut = errors.New("client: romad deposed the node, and its connections were cut")

// afterCut says what became of cmd, which failed on n of partition p
// while n was cut: retry for a command that only reads, else the error of
// a write that may have run on n. ok is false when n was not cut, or
// cmd's error is not the cut's: none, errCut, or a reply of the node.
func afterCut(cmd redis.Cmder, n *node, p int) (retry bool, err error, ok bool) {
	cut := n.cut.Load()
	cerr := cmd.Err()
	var reply redis.Error
	if cut == nil || cerr == nil || cerr == errCut || errors.As(cerr, &reply) {
		return false, nil, false
	}
	if !writes(cmd) {
		return true, nil, true
	}
	return false, cutWrite(n, p, cut), true
}

// cutWrite is the error of a write that was out on n, of partition p,
// when cut cut it.
func cutWrite(n *node, p int, cut *cutOff) error {
	return fmt.Errorf("%w: node %s (%s, partition %d) had it, then romad made %s (epoch %d) before it answered: it may have run there, and would be lost; it was not sent again",
		ErrDeposed, n.Name, n.Addr, p, newMaster(cut.master), cut.epoch)
}

// txCutErr is the error of a transaction of cmds that failed with err on
// n, of partition p, while n was cut: errCut to go again when it only
// reads, ErrDeposed when it writes; else (n not cut, or a reply of the
// node) err.
func txCutErr(err error, n *node, p int, cmds []redis.Cmder) error {
	cut := n.cut.Load()
	var reply redis.Error
	switch {
	case cut == nil || err == nil || errors.As(err, &reply):
		return err
	case !slices.ContainsFunc(cmds, writes):
		return errCut
	}
	return cutWrite(n, p, cut)
}

// cutErr sets, on each of cmds, sent to n of partition p, what afterCut
// says: errCut to go again, or ErrDeposed.
func cutErr(cmds []redis.Cmder, n *node, p int) {
	for _, cmd := range cmds {
		if retry, err, cut := afterCut(cmd, n, p); cut && retry {
			cmd.SetErr(errCut)
		} else if cut {
			cmd.SetErr(err)
		}
	}
}
