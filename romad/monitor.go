package romad

import (
	"context"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/redisinfo"
)

// nodeView is what one romad sees of one node.
type nodeView struct {
	Name      string
	Addr      string
	Partition int // -1 for status nodes

	mu          sync.Mutex
	started     time.Time // when watching began
	lastOK      time.Time // last PING answered (monotonic)
	everOK      bool
	Role        string // master, slave
	MasterAddr  string
	LinkUp      bool
	LinkDownFor time.Duration
	Offset      int64
	Keys        int64
	Mem         redisinfo.Memory // used, maxmemory (0: no limit), policy, keys with an expiry
	RunID       string
	Loading     bool
	Priority    int       // replica-priority; 0 means never promote
	Booted      time.Time // when the redis-server process started (INFO's uptime)
	probed      time.Time // when the probe the fields above come from was sent
	lastErr     string
}

// neverSynced is LinkDownFor of a replica never in sync with its master.
const neverSynced = time.Duration(math.MaxInt64)

// snapshot is a consistent copy of a nodeView.
type snapshot struct {
	Name, Addr       string
	Partition        int
	Up               bool // answered within down_after
	Answering        bool // answered at the last probe
	Role, MasterAddr string
	LinkUp           bool
	LinkDownFor      time.Duration
	Offset, Keys     int64
	Mem              redisinfo.Memory
	RunID            string
	Loading          bool
	Priority         int
	Booted           time.Time
	LastOK           time.Time
	// Probed is when the probe this snapshot comes from was sent: a
	// snapshot probed before an alpha's command may not show it.
	Probed time.Time
	Err    string
}

func (v *nodeView) snap(downAfter time.Duration) snapshot {
	v.mu.Lock()
	defer v.mu.Unlock()
	// Until it has been watched for down_after, a node that has not
	// answered yet counts as up: romad must not fail over on starting.
	up := v.everOK && time.Since(v.lastOK) < downAfter || !v.everOK && (v.started.IsZero() || time.Since(v.started) < downAfter)
	return snapshot{Name: v.Name, Addr: v.Addr, Partition: v.Partition, Up: up,
		Answering: v.everOK && time.Since(v.lastOK) < 3*probeInterval,
		Role:      v.Role, MasterAddr: v.MasterAddr, LinkUp: v.LinkUp, LinkDownFor: v.LinkDownFor,
		Offset: v.Offset, Keys: v.Keys, Mem: v.Mem, RunID: v.RunID, Loading: v.Loading,
		Priority: v.Priority, Booted: v.Booted, LastOK: v.lastOK, Probed: v.probed, Err: v.lastErr}
}

// probeInterval is how often every node is probed.
const probeInterval = 100 * time.Millisecond

// newNodeClient returns a client of addr that connects from source (the
// romad host's declared address), so that what romad sees is what its
// host sees. It uses password, or previous when the node refuses password
// (a rotation under way).
func newNodeClient(addr, source string, password cluster.Secret, timeout time.Duration) *redis.Client {
	o := redisconn.FromAddress(redisconn.Options(addr, password.Reveal(), timeout, 2), source)
	return redisconn.NewClient(redisconn.WithPrevious(o, password.Previous().Reveal()))
}

// watch probes v until ctx ends, and signals restarted (without
// blocking) when the node answers under another run id than before.
func (v *nodeView) watch(ctx context.Context, c *redis.Client, timeout time.Duration, restarted chan<- struct{}) {
	v.mu.Lock()
	v.started = time.Now()
	v.mu.Unlock()
	t := time.NewTicker(probeInterval)
	defer t.Stop()
	n := 0
	for {
		pctx, cancel := context.WithTimeout(ctx, timeout)
		pipe := c.Pipeline()
		ping := pipe.Ping(pctx)
		info := pipe.Info(pctx, "replication", "keyspace", "memory", "persistence", "server")
		var prio *redis.MapStringStringCmd
		if n%50 == 0 {
			prio = pipe.ConfigGet(pctx, "replica-priority")
		}
		sent := time.Now()
		_, _ = pipe.Exec(pctx) // a failed connection fails every command (redisconn)
		cancel()
		n++
		v.mu.Lock()
		if err := ping.Err(); err != nil {
			v.lastErr = err.Error()
		} else if err := info.Err(); err == nil {
			v.lastOK = time.Now()
			v.everOK = true
			v.lastErr = ""
			was := v.RunID
			v.probed = sent
			v.parseInfo(info.Val())
			if was != "" && v.RunID != was {
				select {
				case restarted <- struct{}{}:
				default:
				}
			}
		}
		if prio != nil {
			if m, err := prio.Result(); err == nil {
				v.Priority, _ = strconv.Atoi(m["replica-priority"])
			}
		}
		v.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (v *nodeView) parseInfo(reply string) {
	info := redisinfo.Parse(reply)
	v.Role = info["role"]
	v.RunID = info["run_id"]
	v.Loading = info["loading"] == "1"
	v.Mem = info.Memory()
	v.MasterAddr = info.MasterAddr()
	v.LinkUp = info.Replica() && info.LinkUp()
	v.LinkDownFor = 0
	if secs := info.Int("master_link_down_since_seconds"); info.Replica() && !v.LinkUp {
		switch {
		case secs > 0:
			v.LinkDownFor = time.Duration(secs) * time.Second
		case secs < 0:
			// -1: never in sync with this master since it was pointed at
			// it (a node restarted, then repointed, whose master died
			// before the first sync): its data is its own, older.
			v.LinkDownFor = neverSynced
		}
	}
	v.Offset = info.Offset()
	v.Keys = info.TotalKeys()
	if _, ok := info["uptime_in_seconds"]; ok {
		v.Booted = time.Now().Add(-time.Duration(info.Int("uptime_in_seconds")) * time.Second)
	}
}
