package apply

import (
	"errors"
	"fmt"
	"testing"

	"github.com/roma-redis/roma/providers/service"
)

// TestDataDamaged tells the lines with which redis-server 7.0 refuses
// damaged data files (each seen from a real server, on a file cut short
// or overwritten) from other start failures.
func TestDataDamaged(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{"1:S 29 Nov 2026 04:52:57.940 # Bad file format reading the append only file appendonly.aof.3.incr.aof: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>", true},
		{"1:M 29 Nov 2026 04:54:10.798 # Unexpected end of file reading the append only file appendonly.aof.1.incr.aof. You can: 1) Make a backup of your AOF file", true},
		{"1:M 29 Nov 2026 04:54:10.716 # Invalid AOF manifest file format", true},
		{"1:M 29 Nov 2026 04:54:10.872 # Unable to obtain the AOF file appendonly.aof.1.base.rdb length. stat: No such file or directory", true},
		{"1:M 29 Nov 2026 04:54:04.270 # Short read or OOM loading DB. Unrecoverable error, aborting now.", true},
		{"1:M 29 Nov 2026 04:54:04.819 # Wrong signature trying to load DB from file", true},
		{"1:M 29 Nov 2026 04:54:04.819 # Wrong RDB checksum expected: (1) got (2). Aborting now.", true},
		{"1:M 29 Nov 2026 04:54:04.270 # Internal error in RDB reading offset 0, function at rdb.c:3241 -> Unexpected EOF reading RDB file", true},
		// Not damage: moving the data aside would not help.
		{"1:M 29 Nov 2026 04:54:04.819 # Fatal error loading the DB: Permission denied. Exiting.", false},
		{"1:M 29 Nov 2026 04:54:04.819 # Warning: Could not create server TCP listening socket 127.0.0.1:7000: bind: Address already in use", false},
		{"1:M 29 Nov 2026 04:54:04.819 # Can't handle RDB format version 11", false},
	}
	for _, tt := range tests {
		err := fmt.Errorf("wrapped: %w", &service.StartError{Host: "db1", Service: "n1", Reason: "redis-server exited", Output: []string{"1:C * Redis is starting", tt.line}})
		if got := dataDamaged(err); got != tt.want {
			t.Errorf("dataDamaged(%q) = %v, want %v", tt.line, got, tt.want)
		}
	}
	if dataDamaged(errors.New("Bad file format reading the append only file")) {
		t.Error("dataDamaged of an error that is no StartError (no log quoted) = true")
	}
}
