package cluster

import "sort"

// Setting is the value of one redis.conf directive. Most directives have one
// value; a few (save, rename-command, client-output-buffer-limit) may be given
// several, each rendered on its own line.
type Setting struct {
	Values    []string
	Sensitive bool // came from a sensitive variable: rendered, never printed
}

// Settings maps redis.conf directive names (lower case) to their values.
type Settings map[string]Setting

// Names returns the directive names in sorted order.
func (s Settings) Names() []string {
	names := make([]string, 0, len(s))
	for k := range s {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Merge returns a new Settings holding s overlaid with over: a directive in
// over replaces the same directive in s.
func (s Settings) Merge(over Settings) Settings {
	out := make(Settings, len(s)+len(over))
	for k, v := range s {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}
