// Package remotetest is the conformance suite every remote.Transport
// passes: commands and exit codes, cancellation, large files, atomic
// replacement, modes, missing directories and not-exist errors. Each
// transport's tests call Run with a factory and a scratch directory on the
// target.
package remotetest
