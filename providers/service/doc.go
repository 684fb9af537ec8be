// Package service holds roma's service managers: how the long-running
// programs roma puts on a host (redis-server for data and status nodes,
// romad) are started, stopped and observed there, through a
// remote.Transport, so the same code serves SSH hosts and the local
// machine. A process started through an SSH transport runs on that host
// (in the lab, inside that host's namespaces).
//
// A [Unit] describes one service: its program and arguments, pidfile, log
// file and working directory (paths from cluster.Layout; [RedisUnit] fills
// them for a node). A [Manager] is chosen by the host's service attribute
// in roma.hcl with [For]:
//
//   - "systemd" ([Systemd]): a unit file per service,
//     /etc/systemd/system/roma-<cluster>-<name>.service, rendered
//     deterministically by [RenderUnit], written atomically, then
//     daemon-reload and enable; systemctl starts, stops and restarts it, and
//     systemctl show reports its state. Redis runs supervised (Type=notify)
//     and is never restarted by systemd (Restart=no): romad owns failover,
//     and a master that came back by itself before romad noticed could hand
//     its replicas an empty or old dataset. romad is restarted on failure.
//   - "process" ([Process]): for hosts without systemd (the lab uses it).
//     redis-server daemonizes itself and writes its pidfile (the manager
//     adds --daemonize yes --pidfile to its arguments); other programs are
//     detached with setsid by a shell that writes their pidfile. A pidfile
//     counts only while it names a live process of the unit's program
//     (checked in /proc, so Linux hosts only): a stale pidfile, even one
//     whose pid a different program now has, reads as stopped. A Redis
//     before 7.2 writes its pidfile only once it listens; one that could
//     not (its port taken) is found dead through the pid its log lines
//     carry, so the start fails at once, not after StartTimeout.
//
// Start, Stop and Restart are idempotent and bounded in time. A failed
// start is a [StartError] that quotes the end of the service's output and
// log (Redis's own error lines). Stop sends SIGTERM, every second until
// the process goes (Redis refuses one while it writes its first
// append-only file), for the unit's StopTimeout (Redis saves its dataset
// on the way out), then SIGKILL.
// [State] is a plain value for plan; its Detail says what was seen.
//
// Managers hold no state: one value serves every host and goroutine. More
// can be added with [Register].
//
// Package service imports remote and cluster, and nothing above them.
package service
