// Package romad is the logic of the romad daemon: several run, one per
// host listed in roma.hcl's romad block. Each watches every data node and
// status node (PING and INFO at a sub-second interval) and shares what it
// sees through the status nodes. They compete for "alpha" with a lease and
// an epoch held on a majority of status nodes. The alpha promotes a
// replica when a master has been down for down_after (as judged by the
// romads that can see it, so one romad's broken link is no reason to fail
// over), repoints replicas, demotes an old master that returns, follows a
// planned switchover (apply's FAILOVER), and publishes the cluster status
// (OK, DEGRADED, HALT) under its epoch. Every romad serves /status,
// /status.html and /metrics on its host's address.
package romad
