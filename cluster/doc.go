// Package cluster holds roma's desired model: the typed value that roma.hcl
// decodes into (partitions, hosts, data nodes, status nodes, romad, backup and
// alerts). It is plain data with a few lookups; it does no I/O and imports
// nothing of roma's, so every other package can depend on it.
package cluster
