// Package romad is the logic of the romad daemon: several run, one per
// host listed in roma.hcl's romad block. Each watches every data node and
// status node (PING and INFO at a sub-second interval) and shares what it
// sees through the status nodes. They compete for "alpha" with a lease and
// an epoch held on a majority of status nodes. The alpha promotes a
// replica when a master has been down for down_after (as judged by the
// romads that can see it, so one romad's broken link is no reason to fail
// over), repoints replicas, demotes an old master that returns, promotes
// a replica in place of a master that restarted within down_after on
// older data than it holds (before it syncs from it), follows a
// planned switchover (apply's FAILOVER), and publishes the cluster status
// (OK, DEGRADED, HALT) under its epoch. Every romad serves /status,
// /status.html and /metrics on its host's address.
//
// Everything romad does on the status nodes is decided by a majority: a
// lease claim, a status write and a read return once a majority has
// answered (or can no longer), so a status node that hangs slows nothing
// down; a claim two romads split, which only that node could decide,
// fails once it is late (status.Vote), and gives back what it won. A claim
// no node refused waits for the last node it needs, however slow. The lease is kept on a
// goroutine of its own, apart from the alpha's work. A romad seeking the
// lease claims it only when no other romad holds it on a majority; the
// alpha takes its lease back on a status node where it lapsed alone (that
// node hung, or restarted), and takes a new epoch when a status node that
// no romad holds refuses it (a rival won it in a split vote and gave it
// back): an alpha must not run on a bare majority. A round in
// which no majority answers the alpha's read (the other romads' views and
// roma restore's maintenance flag) keeps the last reading and decides
// nothing: a slow read must not end maintenance. The alpha's REPLICAOF
// commands carry its lease's end as their deadline: an alpha that stalls
// past the moment its lease may have lapsed sends nothing after it.
package romad
