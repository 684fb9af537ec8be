// Package redisconn makes the go-redis options of roma's own connections
// to its Redis nodes: the ones that observe and administer them (plan,
// apply, romad, roma status, backup, restore, the client's status reads),
// as opposed to an application's data path.
//
// They speak RESP2 without CLIENT SETINFO, never retry on their own (the
// caller decides what is safe to repeat), honour the context's deadline,
// and keep small buffers: their replies are small, and roma opens one such
// connection to every node of a cluster at once.
//
// Every go-redis client roma makes comes from NewClient (the client
// package's too): a pipeline whose connection failed before its commands
// went out gives each of them the error, where go-redis alone leaves them
// looking like empty replies; and a node back from a restart is reached
// by the first command after it, where go-redis's pool, after a few
// failed dials, would answer with the last dial error for up to a second
// more (romad would have failed over a master that was back).
//
// During a password rotation (roma.hcl's previous_password), WithPrevious
// and Auth authenticate with the new password and, when a node answers
// WRONGPASS, with the one it replaces: a node not yet given the new one
// is still reached.
//
// ReplicaOf, Shutdown and Failover send a command a node may refuse for a
// moment (loading, writing its first append-only file, a replica not yet
// online) and ask again, for a bounded time.
package redisconn
