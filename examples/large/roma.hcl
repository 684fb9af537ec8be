# examples/large: 64 data nodes (32 partitions x 2) over 8 hosts. placement
# puts each partition's two nodes on different hosts, masters spread evenly.

variable "redis_password" { sensitive = true }

locals { hosts = [for i in range(1, 9) : "db${i}"] }

cluster "large" {
  partitions = 32
  hash       = "jump"
  password   = var.redis_password

  redis {
    maxmemory        = "2gb"
    maxmemory-policy = "allkeys-lru"
    save             = ["3600 1", "300 100"]
  }
}

dynamic "host" {
  for_each = local.hosts
  labels   = [host.value]

  content {
    address = "10.0.1.${10 + host.key + 1}"
    ssh { user = "roma" }
  }
}

placement {
  hosts     = local.hosts
  replicas  = 2
  base_port = 7000
}

dynamic "status" {
  for_each = ["db1", "db4", "db7"]
  labels   = ["st-${status.value}"]

  content {
    host = status.value
    port = 7100
  }
}

romad {
  hosts = ["db1", "db4", "db8"]
}

backup {
  every = "6h"
  host  = "db8"
  dir   = "/var/backups/roma"
}

alert "email" {
  smtp = "smtp.example.com:587"
  from = "roma@example.com"
  to   = ["ops@example.com"]
}
