// Package apply executes a Plan: it takes the cluster-wide lock, prepares
// hosts, gives every running node the passwords roma.hcl gives (first, so
// that during a rotation all accept the new one before any replica uses
// it), pushes conf files atomically, starts status nodes and then data
// nodes, bootstraps and repairs replication, applies settings at runtime
// with CONFIG SET, rolls restarts one node per partition at a time
// (replicas first, the master after a planned FAILOVER), deletes what
// roma.hcl no longer declares, verifies, and unlocks.
//
// Phases run in order; inside a phase, hosts are worked on in parallel up
// to a bound. Every step reports a start and an end Event, and a failed
// step leaves what was there before intact (writes are atomic), so
// running apply again converges.
package apply
