package hash

import "bytes"

// HashedPart returns the part of key that jump and modulo hash, by the
// Redis Cluster hash tag rule: if key holds a '{' and, after the first '{',
// a '}' with at least one byte between them, only those bytes are hashed;
// otherwise (no '{', no '}' after it, or "{}" right after the first '{') the
// whole key is. So "{user1000}.following" hashes "user1000", "foo{}{bar}"
// hashes the whole key, "foo{{bar}}zap" hashes "{bar" and "foo{bar}{zap}"
// hashes "bar". The result shares key's memory.
func HashedPart(key []byte) []byte {
	open := bytes.IndexByte(key, '{')
	if open < 0 {
		return key
	}
	rest := key[open+1:]
	end := bytes.IndexByte(rest, '}')
	if end <= 0 { // no '}' after the '{', or an empty tag "{}"
		return key
	}
	return rest[:end]
}
