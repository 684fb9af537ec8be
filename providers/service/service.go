package service

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
	"unicode"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/remote"
)

// Kind says how a service's program behaves, which decides how a manager
// runs it.
type Kind string

const (
	// KindRedis is a redis-server started with its conf file. Under the
	// process manager it daemonizes itself and writes its own pidfile
	// (--daemonize yes --pidfile are added to Argv); under systemd it
	// runs supervised (--supervised systemd, Type=notify).
	KindRedis Kind = "redis"
	// KindRomad is a program that runs in the foreground until stopped,
	// as romad does. The process manager detaches it and writes its
	// pidfile; systemd runs it with Type=exec and restarts it on failure.
	KindRomad Kind = "romad"
)

// DefaultStopTimeout is how long a stop waits for a graceful exit (SIGTERM)
// before killing the service, when its Unit sets no StopTimeout. Redis saves
// its dataset on SIGTERM and, since 7.0, first waits up to 10s for its
// replicas to catch up, so the bound is generous.
const DefaultStopTimeout = 60 * time.Second

// Unit is one service on one host, as the managers need to know it.
// Paths are absolute paths on the host.
type Unit struct {
	Cluster string   // cluster name; part of the systemd unit name
	Name    string   // service name: a node's name, or "romad"
	Kind    Kind     // KindRedis or KindRomad
	Argv    []string // program and arguments, e.g. redis-server CONF
	Dir     string   // working directory; empty leaves it to the manager
	PidFile string   // where the pid is kept; required by the process manager
	LogFile string   // the program's log; its tail explains a failed start
	User    string   // account the service runs as under systemd; empty is root
	// StopTimeout bounds a graceful stop before SIGKILL; 0 means
	// DefaultStopTimeout.
	StopTimeout time.Duration
}

// RedisUnit returns the unit of the redis-server node (data or status) named
// name, in cluster clusterName, laid out by l: redis-server runs the node's
// rendered conf from its data directory.
func RedisUnit(clusterName string, l cluster.Layout, name string) Unit {
	return Unit{
		Cluster: clusterName,
		Name:    name,
		Kind:    KindRedis,
		Argv:    []string{"redis-server", l.Conf(name)},
		Dir:     l.Data(name),
		PidFile: l.Pid(name),
		LogFile: l.Log(name),
	}
}

// stopTimeout returns u's graceful stop bound.
func (u Unit) stopTimeout() time.Duration {
	if u.StopTimeout > 0 {
		return u.StopTimeout
	}
	return DefaultStopTimeout
}

// program is the base name of the unit's program, as it shows in a
// process listing.
func (u Unit) program() string { return path.Base(u.Argv[0]) }

// check reports what makes u unusable by any manager.
func (u Unit) check() error {
	var errs []error
	if u.Name == "" {
		errs = append(errs, errors.New("no name"))
	}
	switch u.Kind {
	case KindRedis, KindRomad:
	default:
		errs = append(errs, fmt.Errorf("unknown kind %q (want %q or %q)", u.Kind, KindRedis, KindRomad))
	}
	if len(u.Argv) == 0 || u.Argv[0] == "" {
		errs = append(errs, errors.New("no program"))
	} else if strings.ContainsAny(u.Argv[0][:1], "@-:+!") {
		errs = append(errs, fmt.Errorf("program %q starts with a character systemd reads as a prefix", u.Argv[0]))
	}
	type field struct{ name, value string }
	names := []field{{"name", u.Name}, {"cluster", u.Cluster}, {"user", u.User}}
	paths := []field{{"dir", u.Dir}, {"pidfile", u.PidFile}, {"logfile", u.LogFile}}
	for _, f := range names {
		if strings.ContainsAny(f.value, "/\\") {
			errs = append(errs, fmt.Errorf("%s %q contains a slash", f.name, f.value))
		}
	}
	for _, f := range paths {
		if f.value != "" && !path.IsAbs(f.value) {
			errs = append(errs, fmt.Errorf("%s %q is not an absolute path", f.name, f.value))
		}
	}
	all := append(names, paths...)
	for i, a := range u.Argv {
		all = append(all, field{fmt.Sprintf("argument %d", i), a})
	}
	for _, f := range all {
		if strings.ContainsFunc(f.value, unicode.IsControl) {
			errs = append(errs, fmt.Errorf("%s %q contains a control character", f.name, f.value))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("service %q: %w", u.Name, err)
	}
	return nil
}

// State is what a manager observed of a service on its host.
type State struct {
	// Installed says the manager's setup for the service is on the host
	// (systemd: the unit file). Always true for the process manager,
	// which needs none.
	Installed bool
	// UpToDate says the setup is what Install would write now (systemd:
	// same unit file, daemon reloaded). Always true for the process
	// manager.
	UpToDate bool
	// Enabled says the service starts at boot (systemd only).
	Enabled bool
	// Running says the service's process is alive. A redis-server may
	// still be loading its dataset: readiness is a PING away.
	Running bool
	// Pid is the service's main process while Running, else 0.
	Pid int
	// Detail says in a few words what was seen, for plan's output:
	// "running (pid 4242)", "stale pidfile: pid 4242 is sleep, not
	// redis-server", "failed (exit-code)".
	Detail string
}

// Observer reports the state of services.
type Observer interface {
	// Status observes u on t. A service that is not there is a State,
	// not an error; errors are failures to look.
	Status(ctx context.Context, t remote.Transport, u Unit) (State, error)
}

// Installer sets a host up to run services, and takes that away again.
type Installer interface {
	// Install puts in place what the manager needs to run u, and says
	// whether anything changed (a running service then needs a restart
	// to pick the change up). It starts nothing.
	Install(ctx context.Context, t remote.Transport, u Unit) (changed bool, err error)
	// Uninstall stops u if it runs and removes what Install put in
	// place, saying whether anything changed. Data and logs stay.
	Uninstall(ctx context.Context, t remote.Transport, u Unit) (changed bool, err error)
}

// Controller starts and stops services. Every method is idempotent.
type Controller interface {
	// Start starts u unless it runs, and returns once its process runs.
	// A start that fails returns a *StartError holding the end of the
	// service's output.
	Start(ctx context.Context, t remote.Transport, u Unit) error
	// Stop stops u gracefully (SIGTERM), kills it (SIGKILL) when it
	// outlasts u's StopTimeout, and returns once it is gone.
	Stop(ctx context.Context, t remote.Transport, u Unit) error
	// Restart stops u if it runs and starts it again.
	Restart(ctx context.Context, t remote.Transport, u Unit) error
}

// Manager is a service manager: "systemd" or "process".
type Manager interface {
	Name() string
	Observer
	Installer
	Controller
}

// StartError is a service that did not start. Its message names the host
// and the service, says what went wrong, and quotes the end of the
// service's output (for Redis, its own error lines).
type StartError struct {
	Host    string
	Service string
	Reason  string   // "redis-server exited with status 1", ...
	Output  []string // last lines the service wrote, oldest first
}

// Error reads like
//
//	db1: start db1-7000: redis-server exited with status 1; it said:
//	    >>> 'maxmemory lots'
//	    argument must be a memory value
func (e *StartError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: start %s: %s", e.Host, e.Service, e.Reason)
	if len(e.Output) > 0 {
		b.WriteString("; it said:")
		for _, l := range e.Output {
			b.WriteString("\n    " + l)
		}
	}
	return b.String()
}

// wrapErr says that op on service u failed on host, naming the host only
// when err does not already start with it.
func wrapErr(host, op string, u Unit, err error) error {
	if err == nil {
		return nil
	}
	var se *StartError
	if errors.As(err, &se) {
		return err
	}
	msg := err.Error()
	if strings.HasPrefix(msg, host+": ") || strings.HasPrefix(msg, host+" (") {
		return fmt.Errorf("%s %s: %w", op, u.Name, err)
	}
	return fmt.Errorf("%s: %s %s: %w", host, op, u.Name, err)
}
