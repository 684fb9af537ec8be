// Package report is what roma status knows about a cluster: the status
// read from a majority of the status nodes, checked against a direct probe
// of every data node (role, up or down and since when, replication link
// and lag, memory used, key count), and the state that follows from both.
//
// Gather does the I/O (status nodes and data nodes, in parallel, with
// timeouts); Build turns what was read into a Report and decides nothing
// else, so that it can be tested with plain values; FromStatus makes a
// Report from a published status alone (romad's page). Rendering a Report
// is package status/view's job.
//
// It imports cluster and status, and go-redis; nothing above them.
package report
