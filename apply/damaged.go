package apply

import (
	"errors"
	"fmt"
	"strings"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/providers/service"
	"github.com/roma-redis/roma/redisconf"
)

// damagedLines are the starts of the lines with which redis-server (7.x)
// refuses to start on data files it cannot read: an append-only file, its
// manifest, or a snapshot, cut short or overwritten.
var damagedLines = []string{
	"Bad file format reading the append only file",
	"Unexpected end of file reading the append only file",
	"Invalid AOF manifest file format",
	"Unable to obtain the AOF file",
	"Short read or OOM loading DB",
	"Wrong signature trying to load DB",
	"Wrong RDB checksum",
	"Internal error in RDB reading",
}

// dataDamaged reports whether err is a start that failed because Redis
// could not read the node's data files, by what Redis said.
func dataDamaged(err error) bool {
	var se *service.StartError
	if !errors.As(err, &se) {
		return false
	}
	for _, l := range se.Output {
		for _, d := range damagedLines {
			if strings.Contains(l, d) {
				return true
			}
		}
	}
	return false
}

// damagedHint adds to err, a data node's start that failed on data files
// Redis cannot read, the way out: a node with a master to replicate from
// needs no data of its own, and starts empty once its directory is moved
// aside. Other errors come back as they are.
func damagedHint(err error, tg redisconf.Target, master *redisconf.Target) error {
	if tg.Kind != redisconf.KindData || !dataDamaged(err) {
		return err
	}
	dir := cluster.LayoutOf(tg.Host).Data(tg.Name)
	head := fmt.Sprintf("%s's data files in %s on %s are damaged: Redis cannot read them.", tg.Name, dir, tg.Host.Name)
	if master != nil {
		return &hinted{err: err, hint: fmt.Sprintf("%s %s is to replicate from %s, which holds partition %d's data: move %s aside on %s (keep it until %s is in sync) and run roma again; %s then starts empty and copies its data from %s.",
			head, tg.Name, master.Name, tg.Partition, dir, tg.Host.Name, tg.Name, tg.Name, master.Name)}
	}
	return &hinted{err: err, hint: fmt.Sprintf("%s Copy %s first. If another node of partition %d holds its data, move %s aside and run roma again: %s then starts empty, as a replica of the node with the data. "+
		"Otherwise repair the files (redis-check-aof --fix on the manifest in its appendonlydir drops what follows the damage) or restore the partition from a backup.",
		head, dir, tg.Partition, dir, tg.Name)}
}

// hinted is an error with what to do about it, on a line of its own
// after the error's own (which may quote the node's log).
type hinted struct {
	err  error
	hint string
}

func (h *hinted) Error() string { return h.err.Error() + "\n" + h.hint }
func (h *hinted) Unwrap() error { return h.err }
