package status

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// HistoryLength is how many statuses the history list keeps.
const HistoryLength = 2000

// writeScript replaces the status hash unless the stored epoch is higher,
// records it in the history, and publishes the change. KEYS: status,
// history, epoch. ARGV: epoch, state, json, then field/value pairs.
var writeScript = redis.NewScript(`
local cur = tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0')
local max = tonumber(redis.call('GET', KEYS[3]) or '0')
local e = tonumber(ARGV[1])
if e < cur or e < max then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('LPUSH', KEYS[2], ARGV[3])
redis.call('LTRIM', KEYS[2], 0, ` + fmt.Sprint(HistoryLength-1) + `)
redis.call('PUBLISH', KEYS[1], ARGV[1] .. ' ' .. ARGV[2])
return 1
`)

// ErrStaleEpoch is returned when a status node holds a higher epoch.
var ErrStaleEpoch = errors.New("a status with a higher epoch is already stored")

// Write stores s on one status node. It fails with ErrStaleEpoch when the
// node already holds a higher epoch.
func Write(ctx context.Context, c redis.Scripter, s *Status) error {
	js, err := json.Marshal(s)
	if err != nil {
		return err
	}
	args := []any{s.Epoch, s.State, string(js)}
	f := s.Fields()
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, k, f[k])
	}
	n, err := writeScript.Run(ctx, c, []string{StatusKey(s.Cluster), HistoryKey(s.Cluster), EpochKey(s.Cluster)}, args...).Int()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrStaleEpoch
	}
	return nil
}

// Read reads the status from one status node.
func Read(ctx context.Context, c redis.Cmdable, cluster string) (*Status, error) {
	f, err := c.HGetAll(ctx, StatusKey(cluster)).Result()
	if err != nil {
		return nil, err
	}
	if len(f) == 0 {
		return nil, fmt.Errorf("no status for cluster %q yet (is romad running?)", cluster)
	}
	return FromFields(f)
}

// History returns the statuses stored in the history list, newest first.
func History(ctx context.Context, c redis.Cmdable, cluster string) ([]*Status, error) {
	raw, err := c.LRange(ctx, HistoryKey(cluster), 0, -1).Result()
	if err != nil {
		return nil, err
	}
	out := make([]*Status, 0, len(raw))
	for _, r := range raw {
		var s Status
		if err := json.Unmarshal([]byte(r), &s); err != nil {
			return nil, fmt.Errorf("status history: %w", err)
		}
		out = append(out, &s)
	}
	return out, nil
}

// Reading is what ReadMajority or ReadQuorum found.
type Reading struct {
	Status   *Status           // the status with the highest epoch, agreed on by a majority; nil when none
	Answered int               // status nodes that answered
	Total    int               // status nodes asked
	Errors   map[string]string // per status node address, why it did not answer
	Disagree bool              // answering nodes hold different epochs
	Majority bool              // a majority answered and agreed on Status's epoch (or a higher one exists nowhere)
	PerNode  map[string]int64  // epoch held by each address
}

// ReadMajority reads the status from every status node in parallel and
// waits for every answer (or ctx). The status returned is the one with the
// highest epoch; Majority says whether more than half of the nodes
// answered. A reader that gets no majority must treat the cluster as HALT.
// It suits a report of every status node (roma status); a reader that
// acts on the status wants ReadQuorum.
func ReadMajority(ctx context.Context, clients map[string]*redis.Client, cluster string) Reading {
	return read(ctx, clients, cluster, false)
}

// QuorumGrace is how long ReadQuorum waits for the other status nodes once
// a majority has answered: enough for healthy ones, which answer together,
// and little next to a node that hangs.
const QuorumGrace = 20 * time.Millisecond

// ReadQuorum is ReadMajority that returns once a majority of the status
// nodes has answered, or can no longer (and QuorumGrace has passed, or all
// have): a status node that hangs does not slow it down. Any majority holds the newest
// epoch, since the alpha writes each status to a majority. A node left
// unanswered is in Errors.
func ReadQuorum(ctx context.Context, clients map[string]*redis.Client, cluster string) Reading {
	return read(ctx, clients, cluster, true)
}

func read(ctx context.Context, clients map[string]*redis.Client, cluster string, quorum bool) Reading {
	r := Reading{Total: len(clients), Errors: map[string]string{}, PerNode: map[string]int64{}}
	var enough func([]Answer[*Status]) bool
	if quorum {
		enough = SettledBy(len(clients), Answered[*Status])
	}
	answers := Gather(ctx, clients, 0, func(ctx context.Context, c *redis.Client) (*Status, error) { return Read(ctx, c, cluster) },
		enough, QuorumGrace)
	for _, a := range answers {
		if a.Err != nil {
			r.Errors[a.Addr] = a.Err.Error()
			continue
		}
		r.Answered++
		r.PerNode[a.Addr] = a.Val.Epoch
		if r.Status == nil || a.Val.Epoch > r.Status.Epoch ||
			a.Val.Epoch == r.Status.Epoch && a.Val.Updated.After(r.Status.Updated) {
			r.Status = a.Val
		}
	}
	// ReadQuorum stops waiting once the outcome is settled: a majority
	// answered, or the others failed so that none can.
	unanswered := "no answer yet: a majority had answered"
	if r.Answered*2 <= r.Total {
		unanswered = "no answer yet: the others had failed, so that no majority could answer"
	}
	for addr := range clients {
		if _, ok := r.PerNode[addr]; !ok && r.Errors[addr] == "" {
			r.Errors[addr] = unanswered
		}
	}
	var epochs []int64
	for _, e := range r.PerNode {
		epochs = append(epochs, e)
	}
	for _, e := range epochs {
		if e != epochs[0] {
			r.Disagree = true
		}
	}
	r.Majority = r.Answered*2 > r.Total
	return r
}

// Masters returns each of partitions' masters as the status a majority
// agreed on names it: all empty when there is no such status, or it is of
// another partition count.
func (r Reading) Masters(partitions int) []string {
	return r.perPartition(partitions, r.Status.Master)
}

// LastMasters is Masters, with the master each partition lost (Lost)
// where it has none.
func (r Reading) LastMasters(partitions int) []string {
	return r.perPartition(partitions, r.Status.LastMaster)
}

func (r Reading) perPartition(partitions int, f func(p int) string) []string {
	out := make([]string, partitions)
	if r.Status == nil || !r.Majority || len(r.Status.Partitions) != partitions {
		return out
	}
	for p := range out {
		out[p] = f(p)
	}
	return out
}

// Summary is one line about a reading's status nodes.
func (r Reading) Summary() string {
	var errs []string
	for a, e := range r.Errors {
		errs = append(errs, a+": "+e)
	}
	sort.Strings(errs)
	s := fmt.Sprintf("%d of %d status nodes answered", r.Answered, r.Total)
	if len(errs) > 0 {
		s += " (" + strings.Join(errs, "; ") + ")"
	}
	if r.Disagree {
		s += "; they disagree on the epoch"
	}
	return s
}

// WriteBackup stores rec as the record of the cluster's last backup
// (BackupKey) on one status node, unless the node holds the record of a
// backup begun later: the backup host's romad and roma backup both write
// it, and the newest must stand. It reports whether rec was stored.
func WriteBackup(ctx context.Context, c *redis.Client, cluster string, rec *Backup) (bool, error) {
	data, err := json.Marshal(rec)
	if err != nil {
		return false, err
	}
	key := BackupKey(cluster)
	for range 3 {
		stored := false
		err = c.Watch(ctx, func(tx *redis.Tx) error {
			cur, err := tx.Get(ctx, key).Bytes()
			if err != nil && err != redis.Nil {
				return err
			}
			var old Backup
			if err == nil && json.Unmarshal(cur, &old) == nil && old.Time.After(rec.Time) {
				return nil
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, key, data, 0)
				return nil
			})
			stored = err == nil
			return err
		}, key)
		if err != redis.TxFailedErr {
			return stored, err
		}
	}
	return false, err
}
