package backup

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestScanRealRDB scans dump.rdb files that redis-server wrote: every
// value type and encoding, several databases, TTLs, a function library.
// The key counts match what the server says it holds, and the checksum
// (Redis's own CRC-64) verifies.
func TestScanRealRDB(t *testing.T) {
	r := startRedis(t, "")
	keys, expires := r.fill(t, 50)
	r.do(t, "FUNCTION", "LOAD", "#!lua name=roma\nredis.register_function('roma_echo', function(keys, args) return args[1] end)")
	dump := r.save(t)

	info, err := ScanRDB(bytes.NewReader(dump), time.Now())
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	want := RDBInfo{Version: 10, RedisVersion: redisVersion(t), Size: int64(len(dump)), Checksum: info.Checksum,
		KeysCounted: true, Keys: int64(keys), Expires: int64(expires), Databases: map[int]int64{0: int64(keys / 2), 3: int64(keys / 2)}}
	if strings.HasPrefix(want.RedisVersion, "7.2") {
		want.Version = 11
	} else if !strings.HasPrefix(want.RedisVersion, "7.0") {
		want.Version = info.Version // a newer Redis: its own version
	}
	if diff := cmp.Diff(want, info); diff != "" {
		t.Errorf("scan (-want +got):\n%s", diff)
	}
	if info.Checksum != leUint64(dump[len(dump)-8:]) || info.Checksum != crc64Update(0, dump[:len(dump)-8]) {
		t.Errorf("checksum %016x is not the file's trailer", info.Checksum)
	}
	// The server agrees on the key count, database by database.
	for db, n := range info.Databases {
		got := r.dbsize(t, db)
		if got != n {
			t.Errorf("db %d: scan counted %d keys, DBSIZE says %d", db, n, got)
		}
	}
	// Far in the future, every key with a TTL has expired.
	later, err := ScanRDB(bytes.NewReader(dump), time.Now().Add(3*time.Hour))
	if err != nil || later.Expired != later.Expires {
		t.Errorf("3h later: %d of %d TTL keys expired, err %v", later.Expired, later.Expires, err)
	}
	// redis-check-rdb agrees the file is sound, when it is installed.
	if path, err := exec.LookPath("redis-check-rdb"); err == nil {
		f := filepath.Join(t.TempDir(), "dump.rdb")
		os.WriteFile(f, dump, 0o600)
		if out, err := exec.Command(path, f).CombinedOutput(); err != nil {
			t.Errorf("redis-check-rdb: %v\n%s", err, out)
		}
	}
}

func (r *testRedis) dbsize(t testing.TB, db int) int64 {
	t.Helper()
	r.do(t, "SELECT", db)
	defer r.do(t, "SELECT", 0)
	// SELECT on a pooled client is per connection: use one.
	c := r.Conn()
	defer c.Close()
	ctx := context.Background()
	if err := c.Select(ctx, db).Err(); err != nil {
		t.Fatal(err)
	}
	n, err := c.DBSize(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func redisVersion(t testing.TB) string {
	out, err := exec.Command("redis-server", "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	_, v, _ := strings.Cut(string(out), "v=")
	v, _, _ = strings.Cut(v, " ")
	return v
}

// TestScanDamage: a flipped byte anywhere, a truncated file, a bad
// magic, trailing garbage and an absent checksum are each refused with
// their own error.
func TestScanDamage(t *testing.T) {
	r := startRedis(t, "")
	r.fill(t, 20)
	dump := r.save(t)
	flip := func(i int) []byte {
		b := bytes.Clone(dump)
		b[i] ^= 0x10
		return b
	}
	noSum := bytes.Clone(dump)
	copy(noSum[len(noSum)-8:], make([]byte, 8))
	tests := map[string]struct {
		data []byte
		want error
	}{
		"flipped byte in a value":   {flip(len(dump) / 2), nil}, // ErrChecksum or ErrCorrupt
		"flipped byte in the crc":   {flip(len(dump) - 3), ErrChecksum},
		"flipped last data byte":    {flip(len(dump) - 10), ErrChecksum},
		"truncated in the middle":   {dump[:len(dump)/2], ErrTruncated},
		"truncated in the checksum": {dump[:len(dump)-4], ErrTruncated},
		"truncated to the header":   {dump[:9], ErrTruncated},
		"empty":                     {nil, ErrNotRDB},
		"bad magic":                 {append([]byte("RADIS"), dump[5:]...), ErrNotRDB},
		"bad version":               {append([]byte("REDISxy10"), dump[9:]...), ErrNotRDB},
		"trailing bytes":            {append(bytes.Clone(dump), "junk"...), ErrChecksum},
		"no checksum":               {noSum, ErrNoChecksum},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ScanRDB(bytes.NewReader(tt.data), time.Now())
			if err == nil {
				t.Fatal("damage not detected")
			}
			if tt.want == nil {
				if !errors.Is(err, ErrChecksum) && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrTruncated) {
					t.Errorf("error %v: want checksum, corrupt or truncated", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("error %v: want %v", err, tt.want)
			}
		})
	}
	// Every single flipped byte of a small file is caught, wherever it is.
	r.do(t, "FLUSHALL")
	r.do(t, "SET", "a", "1")
	r.do(t, "HSET", "h", "f", "v")
	r.do(t, "RPUSH", "l", "x", "y")
	small := r.save(t)
	for i := range small {
		b := bytes.Clone(small)
		b[i] ^= 0x01
		_, err := ScanRDB(bytes.NewReader(b), time.Now())
		if err == nil {
			t.Fatalf("a flipped byte at offset %d of %d went unnoticed", i, len(small))
		}
		if i >= 9 && !errors.Is(err, ErrChecksum) {
			t.Errorf("flipped byte at %d: %v, want a checksum mismatch", i, err)
		}
	}
}

// TestScanUnknownType: a type this scanner does not know stops the key
// count, not the checksum verification.
func TestScanUnknownType(t *testing.T) {
	// REDIS0010, one string key, then a value of type 99, EOF, checksum.
	body := []byte("REDIS0010")
	body = append(body, 0xfe, 0) // SELECTDB 0
	body = append(body, typeString, 1, 'k', 1, 'v')
	body = append(body, 99, 1, 'x', 3, 1, 2, 3)
	body = append(body, opEOF)
	sum := crc64Update(0, body)
	for i := range 8 {
		body = append(body, byte(sum>>(8*i)))
	}
	info, err := ScanRDB(bytes.NewReader(body), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if info.KeysCounted || info.Keys != 1 || info.Checksum != sum {
		t.Errorf("info %+v: want keys not counted after 1, checksum %016x", info, sum)
	}
	body[12] ^= 1
	if _, err := ScanRDB(bytes.NewReader(body), time.Now()); !errors.Is(err, ErrChecksum) {
		t.Errorf("damaged: %v, want checksum mismatch", err)
	}
}

// TestScanStreams: reading is streaming, in small pieces too.
func TestScanSmallReads(t *testing.T) {
	r := startRedis(t, "")
	r.fill(t, 5)
	dump := r.save(t)
	want, err := ScanRDB(bytes.NewReader(dump), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	got, err := ScanRDB(iotestOneByte{bytes.NewReader(dump)}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("one byte at a time (-whole +pieces):\n%s", diff)
	}
}

type iotestOneByte struct{ r io.Reader }

func (o iotestOneByte) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}
