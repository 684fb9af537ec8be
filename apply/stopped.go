package apply

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/remote"
	"github.com/roma-redis/roma/status"
)

// stopRecord is the record of what roma stop, limited to scope, stops.
func stopRecord(scope Scope) status.Stopped {
	cmd := "roma stop"
	for _, h := range scope.Hosts {
		cmd += " --host " + h
	}
	return status.Stopped{Command: cmd, Holder: holderName(), Since: time.Now().UTC()}
}

// markStopped records on the status nodes that roma stop stops names on
// purpose (status.StoppedKey), before it stops them: romad publishes the
// record on each of them while it is down, roma status shows it, and no
// alert is sent of them. A stop goes ahead without the record: it says so.
func (e *executor) markStopped(ctx context.Context, rec status.Stopped, names []string) {
	if len(names) == 0 {
		return
	}
	clients, done := e.statusClients(nil)
	defer done()
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if n, err := status.WriteStopped(wctx, clients, e.spec.Name, rec, names); err != nil {
		e.opts.Report(Event{Time: time.Now(), Type: "info", Message: fmt.Sprintf(
			"%d of %d status nodes recorded that roma stop stops %s (%s): romad alerts on a node down that none recorded, and roma status takes it for down by accident",
			n, len(clients), strings.Join(names, ", "), e.spec.Password.RedactError(err))})
	}
}

// markHost records on h, once roma stop has stopped name there (a node,
// or "romad"), that it stopped it on purpose: run/NAME.stopped, JSON of
// rec, written after the stop, so that the node's log, which anything
// that runs it again writes to, is newer only if it ran since. The plan
// says who stopped it rather than take it for drift.
func (e *executor) markHost(ctx context.Context, t remote.Transport, h cluster.Host, name string) {
	if e.stopRec == nil {
		return
	}
	b, err := json.Marshal(e.stopRec)
	if err == nil {
		err = t.WriteFile(ctx, stoppedFile(h, name), append(b, '\n'), 0o644)
	}
	if err != nil {
		e.opts.Report(Event{Time: time.Now(), Type: "info", Address: name, Host: h.Name, Message: fmt.Sprintf(
			"could not record on %s that roma stop stopped %s (%v): roma plan takes it for stopped outside roma", h.Name, name, err)})
	}
}

// stoppedFile is where markHost records that roma stop stopped name.
func stoppedFile(h cluster.Host, name string) string {
	return path.Join(cluster.LayoutOf(h).RunDir(), name+".stopped")
}

// clearStopped removes roma stop's records of names (nodes, and romads
// as "romad.HOST"), on the status nodes and on their hosts: they were
// started again, and one that stops later does not stop on purpose. Best
// effort: the alpha romad removes the record of a node it sees come back,
// the plan reads no record older than the node's log, and both are read
// only for what is down.
func (e *executor) clearStopped(ctx context.Context, names []string) {
	if len(names) == 0 {
		return
	}
	names = slices.Compact(slices.Sorted(slices.Values(names)))
	clients, done := e.statusClients(nil)
	defer done()
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, _ = status.ClearStopped(wctx, clients, e.spec.Name, names)
	files := map[string][]string{} // by host
	for _, name := range names {
		if h, ok := strings.CutPrefix(name, "romad."); ok {
			files[h] = append(files[h], "romad")
		} else if tg, ok := e.targets[name]; ok {
			files[tg.Host.Name] = append(files[tg.Host.Name], name)
		}
	}
	e.parallel(slices.Sorted(maps.Keys(files)), func(hn string) {
		h, ok := e.spec.Host(hn)
		if !ok {
			return
		}
		if t, err := e.conn(wctx, hn); err == nil {
			for _, n := range files[hn] {
				_ = t.Remove(wctx, stoppedFile(h, n)) // none there: nothing to do
			}
		}
	})
}
