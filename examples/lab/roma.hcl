# examples/lab: 4 hosts over SSH, matching the test lab (make lab-up):
# sshd on 127.0.0.11-14 port 2222, each host with a private /var/lib/roma.
# 3 partitions x 2 nodes spread so no partition lives on one host, 2 status
# nodes, romad on 3 hosts, backups on db3 (taken by its romad).

variable "redis_password" {
  sensitive = true
}

locals {
  lab = "${path.root}/../../.lab"
}

cluster "lab" {
  partitions = 3
  password   = var.redis_password

  redis {
    maxmemory        = "64mb"
    maxmemory-policy = "allkeys-lru"
  }
}

dynamic "host" {
  for_each = { db1 = 11, db2 = 12, db3 = 13, db4 = 14 }
  labels   = [host.key]

  content {
    address = "127.0.0.${host.value}"
    service = "process"

    ssh {
      user          = "root"
      port          = 2222
      identity_file = "${local.lab}/id_ed25519"
      known_hosts   = "${local.lab}/known_hosts"
    }
  }
}

placement {
  hosts     = ["db1", "db2", "db3"]
  replicas  = 2
  base_port = 7000
}

status "st1" {
  host = "db1"
  port = 7100
}

status "st2" {
  host = "db4"
  port = 7100
}

status "st3" {
  host = "db2"
  port = 7100
}

romad {
  hosts      = ["db1", "db2", "db3"]
  down_after = "3s"
  http_port  = 9640
}

backup {
  every = "6h"
  keep  = 14
  host  = "db3"
  dir   = "/var/lib/roma/backups"
}
