package apply

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/redisconf"
	"github.com/roma-redis/roma/redisconn"
	"github.com/roma-redis/roma/remote"
)

// Redis with appendonly yes reads no snapshot at start: with no
// append-only file where its conf file says (appenddirname,
// appendfilename), it starts empty, even beside a dump.rdb that holds
// every key, and its next save overwrites that. It happens when AOF is
// turned on in a restart, when the file's names change, or when a stopped
// node is started with AOF newly on. Redis documents the way across: start
// without AOF, so the snapshot is loaded, then turn AOF on at runtime,
// which writes the file from the data (redisconn.EnableAOF).

// aof is where a conf file keeps a node's append-only file, if it does.
type aof struct {
	on        bool
	dir, file string
}

// aofOfConf reads an aof from a conf file, with Redis's defaults.
func aofOfConf(conf []byte) aof {
	d := redisconf.Parse(conf)
	get := func(k, def string) string {
		if v := d[k]; len(v) > 0 {
			return v[len(v)-1]
		}
		return def
	}
	return aof{on: redisconf.Normalize("appendonly", []string{get("appendonly", "no")}) == "yes",
		dir: get("appenddirname", "appendonlydir"), file: get("appendfilename", "appendonly.aof")}
}

// withoutAOF is conf with appendonly no.
func withoutAOF(conf []byte) []byte {
	lines := bytes.SplitAfter(conf, []byte("\n"))
	for i, l := range lines {
		if f := strings.Fields(string(l)); len(f) > 0 && strings.EqualFold(f[0], "appendonly") {
			lines[i] = []byte("appendonly no\n")
		}
	}
	return bytes.Join(lines, nil)
}

// aofFiles says what tg's data directory holds: whether a's append-only
// file is there (Redis 7's manifest, or an older single file), another
// append-only file that is not (its path), and a non-empty dump.rdb.
func aofFiles(ctx context.Context, t remote.Transport, dataDir string, a aof) (here bool, elsewhere string, rdb bool, err error) {
	q := remote.ShellQuote
	script := fmt.Sprintf(`cd %s 2>/dev/null || exit 0
[ -e %s ] || [ -e %s ] && echo here
[ -s dump.rdb ] && echo rdb
for f in */*.manifest *.aof; do [ -e "$f" ] && echo "other $f"; done
exit 0`, q(dataDir), q(a.dir+"/"+a.file+".manifest"), q(a.file))
	res, err := t.Run(ctx, script)
	if err != nil {
		return false, "", false, fmt.Errorf("looking for the append-only file in %s: %w", dataDir, err)
	}
	for _, l := range strings.Split(string(res.Stdout), "\n") {
		switch {
		case l == "here":
			here = true
		case l == "rdb":
			rdb = true
		case strings.HasPrefix(l, "other "):
			if f := strings.TrimPrefix(l, "other "); f != path.Join(a.dir, a.file+".manifest") && f != a.file && elsewhere == "" {
				elsewhere = f
			}
		}
	}
	return here, elsewhere, rdb, nil
}

// startKeepingData starts tg, whose conf file on the host is conf, with
// start (which starts it and waits until it is ready), so that a node with
// AOF on comes back with its data. saved says that the node has just
// saved everything it holds in dump.rdb (SHUTDOWN SAVE): an append-only
// file left under other names is then older, and the node is started from
// the snapshot. Otherwise, an append-only file under other names may hold
// writes that dump.rdb lacks: the node is not started, and the error says
// why.
func (e *executor) startKeepingData(ctx context.Context, t remote.Transport, tg redisconf.Target, conf []byte, saved bool, start func(context.Context) error) error {
	a := aofOfConf(conf)
	if !a.on {
		return start(ctx)
	}
	l := cluster.LayoutOf(tg.Host)
	here, elsewhere, rdb, err := aofFiles(ctx, t, l.Data(tg.Name), a)
	if err != nil {
		return err
	}
	if here || !rdb {
		return start(ctx)
	}
	if elsewhere != "" && !saved {
		return fmt.Errorf("not started: its conf file keeps the append-only file as %s/%s, but %s holds %s: started, Redis would begin an empty one and not read that, which may hold writes dump.rdb lacks. "+
			"Set appenddirname and appendfilename back, or move the files by hand, then run roma again", a.dir, a.file, l.Data(tg.Name), elsewhere)
	}
	if err := t.WriteFile(ctx, l.Conf(tg.Name), withoutAOF(conf), 0o600); err != nil {
		return fmt.Errorf("writing the conf file of %s: %w", tg.Name, err)
	}
	if err := start(ctx); err != nil {
		return err
	}
	c := e.client(ctx, tg)
	defer c.Close()
	if err := redisconn.EnableAOF(ctx, c, e.opts.ReadyTimeout); err != nil {
		return fmt.Errorf("%s, started from its snapshot: %w", tg.Name, e.spec.Password.RedactError(err))
	}
	if err := t.WriteFile(ctx, l.Conf(tg.Name), conf, 0o600); err != nil {
		return fmt.Errorf("writing the conf file of %s: %w", tg.Name, err)
	}
	return nil
}
