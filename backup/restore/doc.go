// Package restore overwrites a cluster's data with a backup, the original
// roma-restore. Prepare checks that the backup fits roma.hcl (same
// cluster, partition count and hash function), reads every file back and
// verifies it, observes the nodes, and returns a Plan of what will be
// overwritten; Run carries it out under the cluster lock with the cluster
// in maintenance: it first stages every partition's RDB beside its future
// master's data (streamed, hash-checked, atomic) — a failure there touches
// no node — and then, per partition in parallel, stops the partition's
// nodes, puts the RDB in place as the master's dump.rdb (setting any
// append-only file aside so that Redis loads it), starts the master and
// checks the keys it loaded against the manifest, and starts the other
// nodes, emptied, as its replicas (a full sync).
//
// Package restore imports backup, providers (store, service), apply (for
// the cluster lock), status and remote.
package restore
