package redisconf

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roma-redis/roma/cluster"
)

// These tests check the catalog against a real redis-server: Debian's, the
// Redis roma renders files for. Without one they skip, except in CI
// (CI set) or as root, where scripts/deps.sh installs it: there a missing
// redis-server fails the test.

// TestLiveCatalog checks every claim of the catalog against CONFIG GET and
// CONFIG SET on a live server.
func TestLiveCatalog(t *testing.T) {
	r := startRedis(t, nil)
	live, err := r.configGetAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(live) < 150 {
		t.Fatalf("CONFIG GET * gave only %d parameters", len(live))
	}

	t.Run("every live directive is known", func(t *testing.T) {
		for name := range live {
			if !Known(name) {
				t.Errorf("redis-server has %q, which the catalog does not know", name)
			}
		}
	})

	t.Run("every known directive is live or file-only", func(t *testing.T) {
		for _, name := range All() {
			_, isLive := live[name]
			switch only := isFileOnly(name); {
			case !isLive && !only:
				t.Errorf("the catalog knows %q, which redis-server does not have", name)
			case isLive && only:
				t.Errorf("%q is listed as file-only, but CONFIG GET shows it", name)
			}
		}
	})

	t.Run("runtime directives accept CONFIG SET", func(t *testing.T) {
		for name := range runtime {
			if err := r.configSet(name, live[name]); err != nil {
				t.Errorf("CONFIG SET %s %q: %v; the catalog says it changes at runtime", name, live[name], err)
			}
		}
	})

	t.Run("restart-only directives refuse CONFIG SET", func(t *testing.T) {
		for name := range restartOnly {
			err := r.configSet(name, live[name])
			var re respError
			switch {
			case err == nil:
				t.Errorf("CONFIG SET %s %q succeeded; the catalog says it needs a restart", name, live[name])
			case !errors.As(err, &re):
				t.Errorf("CONFIG SET %s: %v", name, err)
			case isFileOnly(name) && !strings.Contains(string(re), "Unknown option"),
				!isFileOnly(name) && !strings.Contains(string(re), "immutable config") && !strings.Contains(string(re), "protected config"):
				t.Errorf("CONFIG SET %s: unexpected refusal %q", name, re)
			}
		}
	})

	// A runtime change really takes effect: CONFIG GET shows the new value
	// (in Redis's own spelling), and the old one can be put back.
	changes := map[string]struct{ set, want string }{
		"maxmemory":              {"64mb", "67108864"},
		"maxmemory-policy":       {"allkeys-lru", "allkeys-lru"},
		"hz":                     {"20", "20"},
		"timeout":                {"300", "300"},
		"notify-keyspace-events": {"Ex", "xE"},
		"save":                   {"900 1", "900 1"},
		"appendonly":             {"yes", "yes"},
		"client-output-buffer-limit": {"pubsub 64mb 16mb 90",
			"normal 0 0 0 slave 268435456 67108864 60 pubsub 67108864 16777216 90"},
	}
	for name, c := range changes {
		t.Run("CONFIG SET "+name, func(t *testing.T) {
			if !Runtime(name) {
				t.Fatalf("Runtime(%q) = false", name)
			}
			if err := r.configSet(name, c.set); err != nil {
				t.Fatal(err)
			}
			if got, err := r.configGet(name); err != nil || got != c.want {
				t.Errorf("after CONFIG SET %s %q, CONFIG GET gives %q (%v), want %q", name, c.set, got, err, c.want)
			}
			if err := r.configSet(name, live[name]); err != nil {
				t.Errorf("restore %s: %v", name, err)
			}
		})
	}

	t.Run("watched defaults are the server's", func(t *testing.T) {
		for name, want := range Watched {
			if got, ok := live[name]; !ok || got != want {
				t.Errorf("Watched[%q] = %q, but a redis-server started without a file has %q", name, want, got)
			}
		}
	})
}

// TestLiveFileOnly starts a server from a file holding the file-only and
// multi-valued directives, and checks that each took effect.
func TestLiveFileOnly(t *testing.T) {
	dir := t.TempDir()
	extra := filepath.Join(dir, "extra.conf")
	if err := os.WriteFile(extra, []byte("maxmemory-policy volatile-ttl\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Redis 7.0 quirk: "save" lines that follow an include replace each
	// other instead of adding up, so the include comes last. roma renders
	// no include. rename-command is as roma renders roma.hcl's values.
	var renamed bytes.Buffer
	writeDirective(&renamed, "rename-command", []string{`FLUSHALL ""`, `KEYS 'hidden-keys'`})
	r := startRedis(t, append(strings.Split(strings.TrimSpace(renamed.String()), "\n"),
		"user roma on >roma-test-password ~* +@all",
		"save 900 1",
		"save 300 10",
		"client-output-buffer-limit replica 256mb 64mb 60",
		"client-output-buffer-limit pubsub 32mb 8mb 60",
		"include "+extra,
	))
	if _, err := r.do("SET", "renamed-check", "1"); err != nil {
		t.Fatal(err)
	}
	checks := map[string]struct {
		args []string
		want string // the reply, or "error: " and a part of the error
	}{
		"include":                            {[]string{"CONFIG", "GET", "maxmemory-policy"}, "volatile-ttl"},
		"rename-command":                     {[]string{"FLUSHALL"}, "unknown command 'FLUSHALL'"},
		"rename-command, the old name":       {[]string{"KEYS", "*"}, "unknown command 'KEYS'"},
		"rename-command, the new name":       {[]string{"HIDDEN-KEYS", "renamed-*"}, "renamed-check"},
		"user":                               {[]string{"ACL", "WHOAMI"}, "default"},
		"save repeats":                       {[]string{"CONFIG", "GET", "save"}, "900 1 300 10"},
		"client-output-buffer-limit repeats": {[]string{"CONFIG", "GET", "client-output-buffer-limit"}, "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"},
	}
	for name, c := range checks {
		t.Run(name, func(t *testing.T) {
			got, err := r.do(c.args...)
			s := fmt.Sprint(got)
			if arr, ok := got.([]any); ok {
				words := make([]string, len(arr))
				for i, w := range arr {
					words[i] = fmt.Sprint(w)
				}
				s = strings.Join(words, " ")
			}
			if err != nil {
				s = "error: " + err.Error()
			}
			if !strings.Contains(s, c.want) {
				t.Errorf("%s: got %q (%v), want %q", strings.Join(c.args, " "), s, got, c.want)
			}
		})
	}
	if err := r.auth("roma", "roma-test-password"); err != nil {
		t.Errorf("AUTH as the user declared in the file: %v", err)
	}
	for _, name := range []string{"include", "rename-command", "user", "save", "client-output-buffer-limit"} {
		if !MultiValued(name) {
			t.Errorf("%q may be repeated in redis.conf, but MultiValued says no", name)
		}
	}
}

// TestLiveRotation: the file rendered during a password rotation has a
// real redis-server accept both passwords for the default user (and a
// user declared in roma.hcl keep its own), without either password in the
// file but masterauth's new one.
func TestLiveRotation(t *testing.T) {
	s := testSpec()
	s.Password = cluster.NewSecret("the-new-password").WithPrevious(cluster.NewSecret("the-old-password"))
	s.Nodes[0].Redis["user"] = cluster.Setting{Values: []string{"app on >app-password ~app:* +get"}}
	conf := string(Render(s, DataTarget(s, s.Nodes[0])))
	if strings.Contains(conf, "the-old-password") || strings.Contains(conf, "requirepass") {
		t.Fatalf("the file holds the previous password or a requirepass:\n%s", conf)
	}
	var lines []string
	for _, l := range strings.Split(conf, "\n") {
		if strings.HasPrefix(l, "user ") || strings.HasPrefix(l, "masterauth ") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 3 {
		t.Fatalf("want 2 user lines and masterauth, got %q", lines)
	}
	r := startRedis(t, lines)
	for _, c := range []struct {
		user, password string
		ok             bool
	}{
		{"default", "the-new-password", true},
		{"default", "the-old-password", true},
		{"default", "another-password", false},
		{"app", "app-password", true},
	} {
		if err := r.auth(c.user, c.password); (err == nil) != c.ok {
			t.Errorf("AUTH %s: %v, want accepted %v", c.user, err, c.ok)
		}
	}
	if err := r.auth("default", "the-new-password"); err != nil {
		t.Fatal(err)
	}
	v, err := r.do("CONFIG", "GET", "masterauth")
	if got := fmt.Sprint(v); err != nil || !strings.Contains(got, "the-new-password") {
		t.Errorf("masterauth: %v %v", got, err)
	}
}

// TestLiveDirectivesParse asks redis-server itself whether it knows each
// file-only directive: an unknown one is refused as a bad directive, a known
// one with a bad argument fails some other way.
func TestLiveDirectivesParse(t *testing.T) {
	bin := redisServerPath(t)
	probe := func(directive, arg string) string {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--"+directive, arg)
		cmd.Dir = t.TempDir()
		out, _ := runBounded(cmd, 10*time.Second)
		return out
	}
	if out := probe("no-such-directive", "x"); !strings.Contains(out, "Bad directive") {
		t.Fatalf("the probe does not work: an unknown directive gave:\n%s", out)
	}
	out := probe("loadmodule", "/nonexistent/roma-test-module.so")
	if strings.Contains(out, "Bad directive") || !strings.Contains(out, "failed to load") {
		t.Errorf("loadmodule is not a directive of this redis-server:\n%s", out)
	}
}

func isFileOnly(name string) bool {
	for _, n := range fileOnly {
		if n == name {
			return true
		}
	}
	return false
}

// liveRedis is one redis-server started by a test, and a connection to it.
type liveRedis struct {
	conn net.Conn
	rd   *bufio.Reader
}

func redisServerPath(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" || os.Geteuid() == 0 {
			t.Fatal("redis-server is not installed; scripts/deps.sh (make test) installs it: apt-get install redis-server")
		}
		t.Skip("redis-server is not installed (apt-get install redis-server)")
	}
	return bin
}

// startRedis starts redis-server on a free port of 127.0.0.1, in a
// temporary directory, with lines as its redis.conf (no file when nil),
// and kills it (by pid) when the test ends.
func startRedis(t *testing.T, lines []string) *liveRedis {
	t.Helper()
	bin := redisServerPath(t)
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		r, err := tryStartRedis(t, bin, lines)
		if err == nil {
			return r
		}
		lastErr = err // most likely the port was taken meanwhile: try another
	}
	t.Fatal(lastErr)
	return nil
}

func tryStartRedis(t *testing.T, bin string, lines []string) (*liveRedis, error) {
	dir := t.TempDir()
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile := filepath.Join(dir, "redis.log")
	var args []string
	if lines != nil {
		conf := filepath.Join(dir, "redis.conf")
		if err := os.WriteFile(conf, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			return nil, err
		}
		args = append(args, conf)
	}
	args = append(args, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--daemonize", "no", "--logfile", logFile)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(logFile)
			return nil, fmt.Errorf("redis-server exited (%v):\n%s", err, log)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			r := &liveRedis{conn: c, rd: bufio.NewReader(c)}
			// A server with a password answers, refusing: ready too.
			if pong, err := r.do("PING"); err == nil && pong == "PONG" || err != nil && strings.HasPrefix(err.Error(), "NOAUTH") {
				t.Cleanup(func() { c.Close(); stop() })
				return r, nil
			}
			c.Close()
		}
		if time.Now().After(deadline) {
			stop()
			log, _ := os.ReadFile(logFile)
			return nil, fmt.Errorf("redis-server on %s not ready after 10s:\n%s", addr, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// runBounded runs cmd, killing it after limit, and returns its combined
// output.
func runBounded(cmd *exec.Cmd, limit time.Duration) (string, error) {
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	timer := time.AfterFunc(limit, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	err := cmd.Wait()
	return out.String(), err
}

func (r *liveRedis) configGetAll() (map[string]string, error) {
	v, err := r.do("CONFIG", "GET", "*")
	if err != nil {
		return nil, err
	}
	return pairs(v)
}

func (r *liveRedis) configGet(name string) (string, error) {
	v, err := r.do("CONFIG", "GET", name)
	if err != nil {
		return "", err
	}
	m, err := pairs(v)
	if err != nil {
		return "", err
	}
	got, ok := m[name]
	if !ok {
		return "", fmt.Errorf("CONFIG GET %s: no such parameter", name)
	}
	return got, nil
}

func (r *liveRedis) configSet(name, value string) error {
	_, err := r.do("CONFIG", "SET", name, value)
	return err
}

func (r *liveRedis) auth(user, password string) error {
	_, err := r.do("AUTH", user, password)
	return err
}

func pairs(v any) (map[string]string, error) {
	arr, ok := v.([]any)
	if !ok || len(arr)%2 != 0 {
		return nil, fmt.Errorf("CONFIG GET: unexpected reply %v", v)
	}
	m := make(map[string]string, len(arr)/2)
	for i := 0; i < len(arr); i += 2 {
		k, _ := arr[i].(string)
		val, _ := arr[i+1].(string)
		m[k] = val
	}
	return m, nil
}

// respError is an error reply from Redis.
type respError string

func (e respError) Error() string { return string(e) }

// do sends one command and reads its reply: a string, an int64, nil or a
// []any; an error reply is a respError.
func (r *liveRedis) do(args ...string) (any, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	_ = r.conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := r.conn.Write([]byte(b.String())); err != nil {
		return nil, err
	}
	return r.read()
}

func (r *liveRedis) read() (any, error) {
	line, err := r.rd.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, errors.New("empty reply line")
	}
	body := line[1:]
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return nil, respError(body)
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r.rd, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = r.read(); err != nil {
				var re respError
				if !errors.As(err, &re) {
					return nil, err
				}
				out[i] = re
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected reply %q", line)
}
