package apply

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/remote"
)

// DefaultLockTTL is how long a lock outlives the last renewal of its
// holder: a killed apply blocks others for at most this long.
const DefaultLockTTL = 2 * time.Minute

// LockInfo is what the lock file records.
type LockInfo struct {
	ID        string `json:"id"`
	Holder    string `json:"holder"`
	Operation string `json:"operation"`
	Created   string `json:"created"`
	Expires   int64  `json:"expires"` // Unix seconds, by the lock host's clock
}

func (l LockInfo) String() string {
	exp := time.Unix(l.Expires, 0).UTC().Format(time.RFC3339)
	return fmt.Sprintf("ID %s, held by %s for %q since %s (expires %s)", l.ID, l.Holder, l.Operation, l.Created, exp)
}

// ErrLocked is returned when another operation holds the lock.
var ErrLocked = errors.New("the cluster is locked")

// LockedError says who holds the lock.
type LockedError struct {
	Host string
	Info LockInfo
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("the cluster is locked by another operation (lock on host %s): %s. Wait for it, retry with -lock-timeout, or, if it is dead, run: roma force-unlock %s",
		e.Host, e.Info, e.Info.ID)
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// LockHost returns the host that holds the cluster's lock: the first host
// roma.hcl declares.
func LockHost(spec *cluster.Spec) cluster.Host { return spec.Hosts[0] }

func lockPath(h cluster.Host) string { return path.Join(cluster.LayoutOf(h).RunDir(), "apply.lock") }

// Lock is a held cluster lock.
type Lock struct {
	t    remote.Transport
	host string
	file string
	ttl  time.Duration
	Info LockInfo
	stop chan struct{}
	done chan struct{}
	lost chan error
}

// lockScript runs one lock operation under flock on the lock host, so
// that check-and-take is atomic however many roma processes race.
func lockScript(file, body string) string {
	q := remote.ShellQuote
	return fmt.Sprintf(`set -e
LOCK=%s
mkdir -p "$(dirname "$LOCK")"
exec 9>>"$LOCK.guard"
flock -w 20 9
now=$(date +%%s)
held() { [ -s "$LOCK" ] && exp=$(sed -n 's/.*"expires": *\([0-9]*\).*/\1/p' "$LOCK") && [ -n "$exp" ] && [ "$exp" -gt "$now" ]; }
write() {
  if ! printf '{"id":"%%s","holder":"%%s","operation":"%%s","created":"%%s","expires":%%s}\n' "$1" "$2" "$3" "$4" $((now + $5)) > "$LOCK.tmp" 2>/dev/null; then
    rm -f "$LOCK.tmp" 2>/dev/null || true
    echo "cannot write the lock file $LOCK; its filesystem: $(df -Pk "$(dirname "$LOCK")" | awk 'NR==2 {print $4 " KiB free of " $2 " (" $5 " used)"}')" >&2
    exit 1
  fi
  mv "$LOCK.tmp" "$LOCK"
}
%s
`, q(file), body)
}

// AcquireLock takes the cluster lock for operation, waiting up to wait for
// a holder to release it. The lock is renewed in the background until
// Release; Lost reports a renewal that found the lock taken away.
func AcquireLock(ctx context.Context, t remote.Transport, h cluster.Host, operation string, ttl, wait time.Duration) (*Lock, error) {
	if ttl <= 0 {
		ttl = DefaultLockTTL
	}
	id := newID()
	holder := sanitize(holderName())
	created := time.Now().UTC().Format(time.RFC3339)
	secs := int64(ttl / time.Second)
	body := fmt.Sprintf(`if held; then echo HELD; cat "$LOCK"; exit 0; fi
write %s %s %s %s %d
echo TAKEN; cat "$LOCK"`, remote.ShellQuote(id), remote.ShellQuote(holder), remote.ShellQuote(sanitize(operation)), created, secs)
	file := lockPath(h)
	deadline := time.Now().Add(wait)
	for {
		res, err := t.Run(ctx, lockScript(file, body))
		if err != nil {
			return nil, fmt.Errorf("taking the cluster lock on %s: %w", h.Name, err)
		}
		if res.ExitCode != 0 {
			return nil, fmt.Errorf("taking the cluster lock on %s: %s (exit %d)", h.Name, strings.TrimSpace(string(res.Stderr)), res.ExitCode)
		}
		status, rest, _ := strings.Cut(string(res.Stdout), "\n")
		var info LockInfo
		_ = json.Unmarshal([]byte(strings.TrimSpace(rest)), &info)
		if status == "TAKEN" {
			l := &Lock{t: t, host: h.Name, file: file, ttl: ttl, Info: info,
				stop: make(chan struct{}), done: make(chan struct{}), lost: make(chan error, 1)}
			go l.renew()
			return l, nil
		}
		if time.Now().After(deadline) {
			return nil, &LockedError{Host: h.Name, Info: info}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func (l *Lock) renew() {
	defer close(l.done)
	tick := time.NewTicker(l.ttl / 4)
	defer tick.Stop()
	body := fmt.Sprintf(`grep -q %s "$LOCK" 2>/dev/null || { echo LOST; exit 0; }
write %s %s %s %s %d
echo OK`, remote.ShellQuote(`"id":"`+l.Info.ID+`"`), remote.ShellQuote(l.Info.ID), remote.ShellQuote(l.Info.Holder), remote.ShellQuote(l.Info.Operation), l.Info.Created, int64(l.ttl/time.Second))
	for {
		select {
		case <-l.stop:
			return
		case <-tick.C:
			ctx, cancel := context.WithTimeout(context.Background(), l.ttl/4)
			res, err := l.t.Run(ctx, lockScript(l.file, body))
			cancel()
			if err == nil && strings.HasPrefix(string(res.Stdout), "LOST") {
				l.lost <- fmt.Errorf("the cluster lock on %s was taken away (force-unlock?)", l.host)
				return
			}
		}
	}
}

// Lost is closed-over channel reporting that the lock was lost.
func (l *Lock) Lost() <-chan error { return l.lost }

// Release gives the lock up. It runs even when ctx is cancelled, so an
// interrupted apply still unlocks.
func (l *Lock) Release() error {
	close(l.stop)
	<-l.done
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return unlock(ctx, l.t, l.host, l.file, l.Info.ID)
}

// ForceUnlock removes the lock with the given ID from the lock host.
func ForceUnlock(ctx context.Context, t remote.Transport, h cluster.Host, id string) error {
	return unlock(ctx, t, h.Name, lockPath(h), id)
}

// ReadLock returns the current lock, or nil when there is none.
func ReadLock(ctx context.Context, t remote.Transport, h cluster.Host) (*LockInfo, error) {
	data, err := t.ReadFile(ctx, lockPath(h))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var info LockInfo
	if err := json.Unmarshal(data, &info); err != nil {
		return nil, fmt.Errorf("reading the lock on %s: %w", h.Name, err)
	}
	return &info, nil
}

func unlock(ctx context.Context, t remote.Transport, host, file, id string) error {
	body := fmt.Sprintf(`[ -s "$LOCK" ] || { echo NOLOCK; exit 0; }
grep -q %s "$LOCK" || { echo OTHER; cat "$LOCK"; exit 0; }
rm -f "$LOCK"; echo OK`, remote.ShellQuote(`"id":"`+id+`"`))
	res, err := t.Run(ctx, lockScript(file, body))
	if err != nil {
		return fmt.Errorf("releasing the cluster lock on %s: %w", host, err)
	}
	out := string(res.Stdout)
	switch {
	case strings.HasPrefix(out, "OK"):
		return nil
	case strings.HasPrefix(out, "NOLOCK"):
		return fmt.Errorf("the cluster is not locked (no lock on %s)", host)
	case strings.HasPrefix(out, "OTHER"):
		return fmt.Errorf("the lock on %s has another ID: %s", host, strings.TrimSpace(strings.TrimPrefix(out, "OTHER")))
	}
	return fmt.Errorf("releasing the cluster lock on %s: %s %s", host, out, res.Stderr)
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func holderName() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	hn, _ := os.Hostname()
	return name + "@" + hn + " pid " + strconv.Itoa(os.Getpid())
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r == '\'' || r < 0x20 {
			return -1
		}
		return r
	}, s)
}
