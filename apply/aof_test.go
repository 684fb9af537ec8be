package apply

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAOFOfConf reads where a conf file keeps the append-only file, and
// turns AOF off in it for a start from the snapshot.
func TestAOFOfConf(t *testing.T) {
	tests := []struct {
		name, conf string
		want       aof
		off        string
	}{
		{"defaults", "port 7000\n", aof{dir: "appendonlydir", file: "appendonly.aof"}, "port 7000\n"},
		{"on, named", "appendonly yes\nappenddirname \"aof dir\"\nappendfilename my.aof\n",
			aof{on: true, dir: "aof dir", file: "my.aof"}, "appendonly no\nappenddirname \"aof dir\"\nappendfilename my.aof\n"},
		{"the last line wins, any case", "APPENDONLY no\nappendonly Yes\n", aof{on: true, dir: "appendonlydir", file: "appendonly.aof"}, "appendonly no\nappendonly no\n"},
		{"no final newline", "dir /d\nappendonly yes", aof{on: true, dir: "appendonlydir", file: "appendonly.aof"}, "dir /d\nappendonly no\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, aofOfConf([]byte(tt.conf)), cmp.AllowUnexported(aof{})); diff != "" {
				t.Errorf("aofOfConf (-want +got):\n%s", diff)
			}
			off := withoutAOF([]byte(tt.conf))
			if diff := cmp.Diff(tt.off, string(off)); diff != "" {
				t.Errorf("withoutAOF (-want +got):\n%s", diff)
			}
			if aofOfConf(off).on {
				t.Errorf("withoutAOF leaves AOF on")
			}
		})
	}
}
