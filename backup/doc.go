// Package backup takes and checks backups of a roma cluster: for each
// partition in parallel it fetches an RDB snapshot over the Redis
// replication protocol (posing as a replica that wants only the RDB:
// REPLCONF rdb-only, PSYNC), from a healthy replica or, when none is, from
// the master; it streams the RDB into a store (providers/store) while it
// computes its SHA-256 and walks its structure, counting keys and checking
// the magic, the version and Redis's CRC-64 trailer; then it writes the
// manifest, last, so that a backup without one is incomplete. A consistent
// backup pauses writes on every master (CLIENT PAUSE WRITE) just long
// enough for every partition's snapshot to be taken.
//
// List, Verify and Prune read and tend a store's backups. Restoring is
// package backup/restore.
//
// Package backup imports cluster, status and providers (store, alert); it
// is used by the roma command and by romad, whose alpha runs scheduled
// backups.
package backup
