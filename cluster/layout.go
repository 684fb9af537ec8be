package cluster

import "path"

// Layout says where roma keeps things under a host's root. Every path is
// absolute on the host (for the local transport, on this machine) and
// uses forward slashes.
type Layout struct {
	Root string
}

// LayoutOf returns the layout of host h.
func LayoutOf(h Host) Layout { return Layout{Root: h.Root} }

// Dirs lists the directories prepared on every host, parents first.
func (l Layout) Dirs() []string {
	return []string{l.Root, l.ConfDir(), l.DataRoot(), l.RunDir(), l.LogDir(), l.BinDir(), l.EtcDir()}
}

// ConfDir holds the rendered redis.conf files.
func (l Layout) ConfDir() string { return path.Join(l.Root, "conf") }

// Conf is the rendered redis.conf of the node (data or status) named name.
func (l Layout) Conf(name string) string { return path.Join(l.Root, "conf", name+".conf") }

// DataRoot holds one data directory per node.
func (l Layout) DataRoot() string { return path.Join(l.Root, "data") }

// Data is the data directory (Redis "dir") of the node named name.
func (l Layout) Data(name string) string { return path.Join(l.Root, "data", name) }

// RunDir holds pidfiles.
func (l Layout) RunDir() string { return path.Join(l.Root, "run") }

// Pid is the pidfile of the service named name.
func (l Layout) Pid(name string) string { return path.Join(l.Root, "run", name+".pid") }

// LogDir holds log files.
func (l Layout) LogDir() string { return path.Join(l.Root, "log") }

// Log is the log file of the service named name.
func (l Layout) Log(name string) string { return path.Join(l.Root, "log", name+".log") }

// BinDir holds binaries roma uploads, such as romad.
func (l Layout) BinDir() string { return path.Join(l.Root, "bin") }

// EtcDir holds romad's configuration and secrets.
func (l Layout) EtcDir() string { return path.Join(l.Root, "etc") }

// RomadBin is where apply uploads romad.
func (l Layout) RomadBin() string { return path.Join(l.Root, "bin", "romad") }

// RomadConfig is the roma.hcl apply generates for romad.
func (l Layout) RomadConfig() string { return path.Join(l.Root, "etc", "roma.hcl") }

// RomadSecrets holds the values of romad's sensitive variables (mode 0600).
func (l Layout) RomadSecrets() string { return path.Join(l.Root, "etc", "secrets.hcl") }
