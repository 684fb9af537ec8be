// Package redistest starts real redis-server processes for tests: each on
// a free loopback port, in the test's temporary directory, without
// persistence, and killed when the test ends.
package redistest
