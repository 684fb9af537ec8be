// Command roma manages a replicated, partitioned Redis cluster declared in
// roma.hcl: validate, fmt, plan, apply, status, cli, hash and the rest.
//
// This package is a thin main: it parses flags, picks views and maps errors
// to exit codes (exitcode.go). Each command lives in cmd_<name>.go with an
// options struct and a run<Name> function; the work itself is done by the
// packages it calls.
package main
