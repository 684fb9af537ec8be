package service

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// ErrUnknownManager is returned by [For] for a name no manager is
// registered under.
var ErrUnknownManager = errors.New("unknown service manager")

var registry = struct {
	sync.RWMutex
	m map[string]Manager
}{m: map[string]Manager{}}

func init() {
	Register("systemd", &Systemd{})
	Register("process", &Process{})
}

// Register makes m available to [For] under name, the value of a host's
// service attribute in roma.hcl. It panics when name is empty or taken, as
// that is a programming error; it is meant to be called from an init
// function.
func Register(name string, m Manager) {
	if name == "" || m == nil {
		panic(fmt.Sprintf("service: bad Register(%q)", name))
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.m[name]; dup {
		panic(fmt.Sprintf("service: Register(%q) twice", name))
	}
	registry.m[name] = m
}

// For returns the manager registered under name: "systemd" or "process"
// (cluster.ServiceSystemd, cluster.ServiceProcess), or one added with
// [Register].
func For(name string) (Manager, error) {
	registry.RLock()
	m, ok := registry.m[name]
	registry.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w %q; valid managers are %s", ErrUnknownManager, name, strings.Join(Names(), ", "))
	}
	return m, nil
}

// Names returns the registered managers' names, sorted.
func Names() []string {
	registry.RLock()
	defer registry.RUnlock()
	names := make([]string, 0, len(registry.m))
	for n := range registry.m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
