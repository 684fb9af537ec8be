package romad

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/providers/alert"
	"github.com/roma-redis/roma/redisinfo"
	"github.com/roma-redis/roma/status"
)

// TestMemoryFullAlert: a master that evicts nothing (maxmemory-policy
// noeviction, or volatile-* with no key that has an expiry) refuses every
// write once full. The alpha alerts (memory_full, naming the master and
// the policy) once it has used nearly all of its maxmemory for down_for;
// not while it has room, nor while a volatile-* policy has keys to evict.
// Real redis-servers and a real webhook receiver.
func TestMemoryFullAlert(t *testing.T) {
	const pw = "memory-full-test-password"
	p, received, _ := alertedPair(t, "mf", pw)

	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: p.n1.Addr, Password: pw})
	defer c.Close()
	set := func(kv ...string) {
		t.Helper()
		for i := 0; i < len(kv); i += 2 {
			if err := c.ConfigSet(ctx, kv[i], kv[i+1]).Err(); err != nil {
				t.Fatalf("CONFIG SET %s %s: %v", kv[i], kv[i+1], err)
			}
		}
	}
	// maxmemory a little above what n1 uses: 95% full.
	nearlyFull := func() {
		t.Helper()
		info, err := c.Info(ctx, "memory").Result()
		if err != nil {
			t.Fatal(err)
		}
		set("maxmemory", strconv.FormatInt(redisinfo.Parse(info).Int("used_memory")*100/95, 10))
	}
	// quiet checks that no alert comes for 3 down_for.
	quiet := func(what string) {
		t.Helper()
		time.Sleep(3 * time.Second)
		if got := received(); len(got) > 0 {
			t.Fatalf("alerts %s: %+v", what, got)
		}
	}

	set("maxmemory", "1gb")
	quiet("with maxmemory far above what n1 uses")
	// volatile-lru with a key that has an expiry: it evicts that key.
	if err := c.Set(ctx, "session", "x", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	set("maxmemory-policy", "volatile-lru")
	nearlyFull()
	quiet("with n1 nearly full under volatile-lru, a key having an expiry")

	// The key gone, volatile-lru evicts nothing.
	if err := c.Del(ctx, "session").Err(); err != nil {
		t.Fatal(err)
	}
	got := waitAlerts(received)
	if len(got) != 1 || got[0].Kind != alert.KindMemoryFull || got[0].Node != "n1" ||
		got[0].Subject != "[roma mf] master n1 nearly full: writes refused once full" ||
		!strings.Contains(got[0].Body, "under maxmemory-policy volatile-lru, with no key that has an expiry to evict, it refuses every write (OOM) once full") {
		t.Fatalf("alerts within 15s of n1 nearly full under volatile-lru with no key that has an expiry: %+v; want one %s for n1", got, alert.KindMemoryFull)
	}
	// The replica n2, as full, is no master: no alert of its own.
	c2 := redis.NewClient(&redis.Options{Addr: p.n2.Addr, Password: pw})
	defer c2.Close()
	info, err := c2.Info(ctx, "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := c2.ConfigSet(ctx, "maxmemory", strconv.FormatInt(redisinfo.Parse(info).Int("used_memory")*100/95, 10)).Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	if got := received(); len(got) != 1 {
		t.Errorf("%d alerts for one nearly full master: %+v", len(got), got)
	}
}

// TestNodeDownAlertSaysWhy: the node_down alert says what romad met
// trying to reach the node: here a replica that cannot save (its
// directory removed), which answers MISCONF. Real redis-servers and a
// real webhook receiver.
func TestNodeDownAlertSaysWhy(t *testing.T) {
	const pw = "node-down-why-test-password"
	p, received, _ := alertedPair(t, "nd", pw)

	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: p.n2.Addr, Password: pw})
	defer c.Close()
	if err := c.ConfigSet(ctx, "save", "3600 1").Err(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(p.n2.Dir); err != nil {
		t.Fatal(err)
	}
	if err := c.BgSave(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	got := waitAlerts(received)
	if len(got) != 1 || got[0].Kind != alert.KindNodeDown || got[0].Node != "n2" ||
		!strings.Contains(got[0].Body, "The last try to reach it met: MISCONF Redis is configured to save RDB snapshots") {
		t.Fatalf("alerts within 15s of n2 unable to save: %+v; want one %s for n2 that says MISCONF", got, alert.KindNodeDown)
	}
	if strings.Contains(got[0].Body, pw) {
		t.Errorf("the alert shows the password: %s", got[0].Body)
	}
}

// TestBackupOverdueAlert: scheduled backups that stop (romad on the backup
// host gone; here the backup host runs none) were noticed by no one. The
// alpha alerts (backup_overdue) once none has begun for twice the backup
// block's every, naming the backup host. Real redis-servers and a real
// webhook receiver.
func TestBackupOverdueAlert(t *testing.T) {
	p := newPair(t, "bo", "backup-overdue-test-password", "1s")
	hookURL, received := alertHook(t)
	p.spec.Alerts = []cluster.Alert{{Kind: "webhook", URL: hookURL, DownFor: time.Second}}
	p.spec.Hosts = append(p.spec.Hosts, cluster.Host{Name: "vault", Address: "127.0.0.1", Transport: "local", Root: t.TempDir(), Service: "process"})
	p.spec.Backup = &cluster.Backup{Every: 2 * time.Second, Keep: 3, Host: "vault", Dir: t.TempDir()}
	// The last backup, 3s ago: overdue 1s after romad starts.
	last := &status.Backup{ID: "b1", Time: time.Now().Add(-3 * time.Second).UTC(), OK: true}
	if _, err := status.WriteBackup(context.Background(), p.status, "bo", last); err != nil {
		t.Fatal(err)
	}
	serve(t, p.spec)

	got := waitAlerts(received)
	if len(got) != 1 || got[0].Kind != alert.KindBackupOverdue ||
		!strings.Contains(got[0].Body, "The last backup of cluster bo began "+last.Time.Format("2006-01-02 15:04:05 MST")) ||
		!strings.Contains(got[0].Body, "roma.hcl asks for one every 2s: scheduled backups are overdue") ||
		!strings.Contains(got[0].Body, "romad on the backup host vault takes them") {
		t.Fatalf("alerts within 15s: %+v; want one %s naming the backup host", got, alert.KindBackupOverdue)
	}
	time.Sleep(2 * time.Second)
	if got := received(); len(got) != 1 {
		t.Errorf("%d alerts for one incident: %+v", len(got), got)
	}
}

// alertHook is a webhook receiver of alerts for the test: its URL, and
// the alerts it has received so far.
func alertHook(t *testing.T) (url string, received func() []alert.Alert) {
	t.Helper()
	var mu sync.Mutex
	var alerts []alert.Alert
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var a alert.Alert
		if err := json.NewDecoder(r.Body).Decode(&a); err == nil {
			mu.Lock()
			alerts = append(alerts, a)
			mu.Unlock()
		}
	}))
	t.Cleanup(hook.Close)
	return hook.URL, func() []alert.Alert {
		mu.Lock()
		defer mu.Unlock()
		return append([]alert.Alert(nil), alerts...)
	}
}

// waitAlerts returns the alerts received once there is one, or after
// 15s.
func waitAlerts(received func() []alert.Alert) []alert.Alert {
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if got := received(); len(got) > 0 || time.Now().After(deadline) {
			return got
		}
	}
}

// alertedPair is newPair (down_after 1s) with a webhook alert (down_for
// 1s) and a romad serving it, once it has published n1 master; received
// returns the alerts so far.
func alertedPair(t *testing.T, name, pw string) (p *pair, received func() []alert.Alert, get func(path string) string) {
	t.Helper()
	p = newPair(t, name, pw, "1s")
	hookURL, received := alertHook(t)
	p.spec.Alerts = []cluster.Alert{{Kind: "webhook", URL: hookURL, DownFor: time.Second}}
	get = serve(t, p.spec)
	p.waitStatus(t, "OK under n1", func(s *status.Status) bool { return s.State == status.OK && s.Partitions[0].Master == "n1" })
	return p, received, get
}
