package main

import (
	"errors"
	"fmt"
	"io"
)

// Exit codes shared by every command. plan -detailed-exitcode uses 2 for
// "changes present"; status uses 2 for DEGRADED and 3 for HALT.
const (
	exitOK    = 0
	exitError = 1
)

// exitStatus is returned by a command that has already printed what it had
// to say and only needs a particular exit code.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// usageError marks a bad command line.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// exitCode maps a command's error to the process exit code, printing the
// error unless the command already reported it.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var st exitStatus
	if errors.As(err, &st) {
		return int(st)
	}
	fmt.Fprintf(stderr, "Error: %v\n", err)
	return exitError
}
