package remote

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors, matched with errors.Is. They say whether a retry can help.
var (
	// ErrUnreachable means the host could not be reached (refused, timed
	// out, no route). Retrying later can help.
	ErrUnreachable = errors.New("host unreachable")
	// ErrConnLost means an established connection died during an
	// operation. Retrying the operation on a new connection can help.
	ErrConnLost = errors.New("connection lost")
	// ErrAuth means the host refused authentication. Retrying cannot help.
	ErrAuth = errors.New("authentication refused")
	// ErrHostKeyUnknown means the host's key is not in any known_hosts
	// file. Retrying cannot help; trusting the key can.
	ErrHostKeyUnknown = errors.New("host key unknown")
	// ErrHostKeyChanged means the host presented a key different from the
	// one recorded in known_hosts. Never retried.
	ErrHostKeyChanged = errors.New("host key changed")
	// ErrCommandNotFound means the remote shell could not find the command
	// (exit status 127).
	ErrCommandNotFound = errors.New("command not found")
)

// Retryable reports whether err is a failure that trying again may cure.
func Retryable(err error) bool {
	return errors.Is(err, ErrUnreachable) || errors.Is(err, ErrConnLost)
}

// OpError records an operation that failed on a host.
type OpError struct {
	Host string // host name, as the user knows it
	Op   string // "run", "write", "read", "stat", ...
	Path string // file path or command; may be empty
	Err  error
}

// Error reads like "db1: write /var/lib/roma/conf/x.conf: no space left on device".
func (e *OpError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("%s: %s: %v", e.Host, e.Op, e.Err)
	}
	return fmt.Sprintf("%s: %s %s: %v", e.Host, e.Op, e.Path, e.Err)
}

// Unwrap returns the underlying error.
func (e *OpError) Unwrap() error { return e.Err }

// ConnError records a failure to connect to a host, or the loss of a
// connection. Its message is one line naming the host and its address and
// saying what to do.
type ConnError struct {
	Host string // host name
	Addr string // address dialled, host:port
	Kind error  // one of the sentinel errors
	Err  error  // underlying cause
	Hint string // what the user can do about it
	// Attempts is how many times the dial was tried, when more than once.
	Attempts int
}

// Error reads like "db1 (127.0.0.11:2222): connection refused (3
// attempts): is sshd running and is the address right?".
func (e *ConnError) Error() string {
	msg := fmt.Sprintf("%s (%s): %v", e.Host, e.Addr, e.Err)
	if e.Attempts > 1 {
		msg += fmt.Sprintf(" (%d attempts)", e.Attempts)
	}
	if e.Hint != "" {
		msg += ": " + e.Hint
	}
	return msg
}

// Unwrap returns both the sentinel kind and the underlying cause.
func (e *ConnError) Unwrap() []error { return []error{e.Kind, e.Err} }

// wrap names host, op and path on err, except for connection errors, which
// already name the host and read better alone.
func wrap(host, op, path string, err error) error {
	if err == nil {
		return nil
	}
	var ce *ConnError
	if errors.As(err, &ce) {
		return err
	}
	return &OpError{Host: host, Op: op, Path: path, Err: err}
}

// connLostError is an operation cut off by the loss of its connection.
type connLostError struct{ cause error }

// Error reads like "connection lost (EOF): retry once the host answers again".
func (e *connLostError) Error() string {
	msg := "connection lost"
	if c := e.cause.Error(); c != "" && c != ErrConnLost.Error() && !strings.HasPrefix(c, ErrConnLost.Error()+":") {
		msg += " (" + c + ")"
	}
	return msg + ": retry once the host answers again"
}

func (e *connLostError) Unwrap() []error { return []error{ErrConnLost, e.cause} }
