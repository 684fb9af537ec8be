package apply_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roma-redis/roma/apply"
	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/plan/plantest"
)

// TestStartSeesNodeStopAgain: a status node whose disk is full loads its
// append-only file and answers, then exits at its first write (appendfsync
// always). roma start reported "Start complete" for it, and it was gone
// 100 ms later. start now looks at the nodes it started once more, after
// they had a moment to take writes (romad's here, made by the test), and
// fails the one that stopped again; the plan then quotes its log.
func TestStartSeesNodeStopAgain(t *testing.T) {
	l := lab.Shared(t)
	spec := writeConfig(t, t.TempDir(), oneHost{cluster: "fulldisk", partitions: 1, root: "/var/lib/roma/fulldisk",
		nodes: []oneHostNode{{"fd0", 7458, 0}}, statusPort: 7491}.text(l))
	destroyAtEnd(t, &spec)
	mustConverge(t, spec)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	lh := dialHost(t, ctx, spec)
	st := spec.Status[0]
	data, pidfile := lh.layout.Data(st.Name), lh.layout.Pid(st.Name)

	// The status node stopped (SIGTERM: it saves and goes), its data
	// directory then on a small file system, filled up.
	lh.run(ctx, "kill $(cat "+pidfile+") && while [ -e "+pidfile+" ]; do sleep 0.05; done; "+
		"rm -rf /tmp/fulldisk-copy && cp -a "+data+" /tmp/fulldisk-copy && mount -t tmpfs -o size=2m tmpfs "+data+" && cp -a /tmp/fulldisk-copy/. "+data+"/ && "+
		"{ dd if=/dev/zero of="+data+"/fill bs=4k 2>/dev/null || true; }")
	t.Cleanup(func() {
		_, _ = lh.tr.Run(context.Background(), "kill -9 $(cat "+pidfile+" 2>/dev/null) 2>/dev/null; umount "+data+"; rm -rf /tmp/fulldisk-copy")
	})

	// What romad does: write to the status node, every 50 ms, from the
	// moment start has it started (before, its first write would fail
	// the start itself, which already says so).
	started := make(chan struct{})
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-stop:
			return
		case <-started:
		}
		c := plantest.Client(spec, st.Host, st.Port)
		defer c.Close()
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				_ = c.HSet(ctx, "roma:fulldisk:probe", "at", time.Now().UnixNano()).Err()
			}
		}
	}()
	var once sync.Once
	report := func(ev apply.Event) {
		if ev.Type == "done" && ev.Address == "status."+st.Name {
			once.Do(func() { close(started) })
		}
	}
	res, err := apply.Start(ctx, spec, apply.Scope{}, apply.Options{Dial: plantest.Dial, Report: report})
	close(stop)
	<-done
	want := st.Name + " at " + spec.Addr(st.Host, st.Port) + " started, then stopped again: roma plan quotes what its log"
	if err == nil || !strings.Contains(err.Error(), want) || len(res.Failed) != 1 || res.Failed[0].Address != "status."+st.Name {
		t.Fatalf("start with the status node's disk full: failed %+v, %v; want status.%s failed, saying %q", res.Failed, err, st.Name, want)
	}
	p := makePlan(t, spec)
	for _, r := range p.Resources {
		if r.Address == "status."+st.Name {
			if !strings.Contains(r.Reasons[0], "last said: ") || !strings.Contains(r.Reasons[0], "AOF") {
				t.Errorf("plan: status.%s: %q; want its log's words on the AOF it could not write", st.Name, r.Reasons[0])
			}
			return
		}
	}
	t.Errorf("plan: no change to status.%s: %+v", st.Name, p.Resources)
}
