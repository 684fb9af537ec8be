// Package client is the Go client of a roma cluster: a go-redis client
// whose every command goes to the master of its key's partition.
//
// A Client is built from roma.hcl ([NewFromSpec]) or from the addresses of
// the cluster's status nodes ([New]). It reads the cluster status from a
// majority of the status nodes, subscribes to the channel where romad
// publishes each change, and polls as a fallback, so it follows a
// failover within moments. It follows only statuses of a higher epoch
// than the one it routes by, unless every status node answers with a
// lower one (they all lost their data, and romad began again). A status node that hangs holds up neither New
// nor Close: reads return once a majority has answered, and each node is
// subscribed to on a goroutine of its own. The partition count and hash
// function come from the status; each node's database (SELECT index) from
// roma.hcl.
//
// Routing. Each command's keys are found from a table of Redis commands
// (which arguments are keys: see commands.go) and hashed with the
// cluster's function, hash tags included ({user1}.a and {user1}.b share a
// partition). Commands with no key (DBSIZE, KEYS, SCAN, INFO...) cannot be
// routed; [Client.ProcessPartition] runs them on one partition, and roma
// cli --all on each. Commands not in the table are refused with
// [ErrUnknownCommand] rather than sent to a guessed partition.
//
// Keys in several partitions. MGET, MSET, DEL, UNLINK, EXISTS and TOUCH
// are split into one command per partition, run in parallel, and their
// replies merged (MGET's values in key order, the counts summed); a split
// MSET is not atomic across partitions. Every other command whose keys
// span partitions (RENAME, SUNIONSTORE, EVAL, MSETNX...) is refused with
// [ErrCrossPartition], as is a transaction whose commands do; keys in one
// partition, by hash tag or by chance, are accepted. SORT's BY and GET
// patterns form keys that Redis reads on the sorted key's node: a pattern
// must carry a hash tag, before its '*', of the sorted key's partition
// (SORT {u1}.ids BY {u1}.w_*), as Redis Cluster asks.
//
// Pipelines run as one pipeline per node, in parallel. TxPipeline
// (MULTI/EXEC) and [Client.Watch] run on one partition's master.
//
// Failover. A command refused with READONLY, LOADING, MASTERDOWN or
// MISCONF (a master that cannot save, which romad fails over), or whose
// connection could not be made, was not executed: the client waits
// (at most Options.FailoverWait) for a status with a newer epoch, then
// retries it once; it gives up sooner when the command's context ends. A
// node that could not be reached fails the command with [ErrUnreachable],
// naming the node, and with [ErrNoFailover] when no newer status came in
// time. A command whose connection broke after it was sent
// ([ErrConnLost]), or that got no reply in time ([ErrNoReply]), is not
// retried, since it may have run; both errors name the node. A write
// that its master ran, but only once romad had failed that master over
// (it paused, or was cut off from romad, for down_after, and took the
// command as it came back), fails with [ErrDeposed] rather than
// succeeding: romad makes that node a replica of the new master, and the
// write is likely lost. The client sees it by the status, which has moved
// on while the command was out; a reply that took half of down_after or
// more has the status read again first. While the
// cluster is in HALT, or no majority of status nodes answers, every
// command fails with an error that is [ErrHalt]; with no majority, only
// after waiting FailoverWait for one to answer again (a status node
// restarted by a roll).
//
// With Options.ReplicaReads, read-only commands go to replicas that are
// up, in turn, falling back to the master. A replica out of sync with its
// master (its link down: a full sync under way, or the link broken) is
// published "syncing", and serves no read until it is up again: what it
// holds may be old, or empty.
//
// Package client imports go-redis, cluster (for roma.hcl's model), status
// and providers/hash; nothing in roma imports it but the roma command.
package client
