package hash

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Func maps a key to a partition. Partition returns a number in [0, n) for
// every n >= 1, and the same number every time for the same key and n. It
// fails when n < 1, and an outside program may fail for any key.
type Func interface {
	Partition(key []byte, n int) (int, error)
}

// Default is the function a cluster uses when roma.hcl names none.
const Default = "jump"

// ErrUnknownFunction is returned by [New] and [Validate] for a spec that
// names no registered function.
var ErrUnknownFunction = errors.New("unknown hash function")

// A Factory builds a Func from the argument part of a spec: "" for "jump",
// "/usr/local/bin/h" for "exec:/usr/local/bin/h".
type Factory func(arg string) (Func, error)

type entry struct {
	factory Factory
	usage   string             // how the spec is written, for error messages
	check   func(string) error // checks arg without side effects; nil accepts any
}

var registry = struct {
	sync.RWMutex
	m map[string]entry
}{m: map[string]entry{}}

func init() {
	register("jump", "jump", noArg("jump", func() Func { return jump{} }), noArgCheck("jump"))
	register("modulo", "modulo", noArg("modulo", func() Func { return modulo{} }), noArgCheck("modulo"))
	register("exec", "exec:PROGRAM", newExecFactory, execCheck)
}

// Register makes a hash function available to [New] under name: the spec
// "name" or "name:arg" calls factory with arg. Register panics when name is
// empty, contains ':', or is already registered, as these are programming
// errors. It is meant to be called from an init function.
func Register(name string, factory Factory) {
	register(name, name+"[:ARG]", factory, nil)
}

func register(name, usage string, factory Factory, check func(string) error) {
	if name == "" || strings.Contains(name, ":") || factory == nil {
		panic(fmt.Sprintf("hash: bad Register(%q)", name))
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.m[name]; dup {
		panic(fmt.Sprintf("hash: Register(%q) twice", name))
	}
	registry.m[name] = entry{factory: factory, usage: usage, check: check}
}

// Names returns how each registered function is written in a spec, sorted:
// "exec:PROGRAM", "jump", "modulo", and any added with [Register].
func Names() []string {
	registry.RLock()
	defer registry.RUnlock()
	names := make([]string, 0, len(registry.m))
	for _, e := range registry.m {
		names = append(names, e.usage)
	}
	sort.Strings(names)
	return names
}

// New returns the function a spec names: "jump" (also for ""), "modulo",
// "exec:PROGRAM", or a name added with [Register]. For exec, New also checks
// that PROGRAM exists and is executable.
func New(spec string) (Func, error) {
	e, arg, err := lookup(spec)
	if err != nil {
		return nil, err
	}
	if e.check != nil {
		if err := e.check(arg); err != nil {
			return nil, err
		}
	}
	return e.factory(arg)
}

// Validate reports whether spec is well formed and names a registered
// function, without building it (so it never looks for an exec program,
// which may live only on the machines that run the client). The error for an
// unknown name lists the valid ones.
func Validate(spec string) error {
	e, arg, err := lookup(spec)
	if err != nil {
		return err
	}
	if e.check != nil {
		return e.check(arg)
	}
	return nil
}

func lookup(spec string) (entry, string, error) {
	if spec == "" {
		spec = Default
	}
	name, arg, _ := strings.Cut(spec, ":")
	registry.RLock()
	e, ok := registry.m[name]
	registry.RUnlock()
	if !ok {
		return entry{}, "", fmt.Errorf("%w %q; valid functions are %s", ErrUnknownFunction, spec, strings.Join(Names(), ", "))
	}
	return e, arg, nil
}

func noArg(name string, f func() Func) Factory {
	check := noArgCheck(name)
	return func(arg string) (Func, error) {
		if err := check(arg); err != nil {
			return nil, err
		}
		return f(), nil
	}
}

func noArgCheck(name string) func(string) error {
	return func(arg string) error {
		if arg != "" {
			return fmt.Errorf("hash function %q takes no argument (got %q)", name, name+":"+arg)
		}
		return nil
	}
}

// checkN is the error every function returns for a partition count below 1.
func checkN(n int) error {
	if n < 1 {
		return fmt.Errorf("hash: %d partitions: need at least 1", n)
	}
	return nil
}
