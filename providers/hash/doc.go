// Package hash holds roma's partition hash functions: the pluggable rule
// that maps a key to one of a cluster's N partitions, numbered 0..N-1.
//
// A [Func] is found by its spec, the string a cluster declares in roma.hcl
// (hash = "jump"): "jump" (the default), "modulo", or "exec:PROGRAM" for an
// outside program. More can be added with [Register]. [HashedPart] applies
// Redis Cluster hash tags, so that "{user1000}.following" and
// "{user1000}.followers" land on the same partition. [MovedShare] says what
// share of keys changes partition when the partition count or the function
// changes, for plan and backup.
//
// The byte-level definition of every function, with test vectors, is in
// docs/hash.md; the vectors live in testdata/vectors.txt and are checked
// against an independent Python implementation (testdata/vectors.py).
//
// jump and modulo are on the client's hot path: they never allocate.
//
// Package hash imports only the standard library.
package hash
