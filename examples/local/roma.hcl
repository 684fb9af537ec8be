# examples/local: the whole cluster on this machine, no SSH.
# 3 partitions x 2 nodes, one status node and one romad. Everything roma
# writes lives under examples/local/.run, which git ignores.
#
#   roma validate examples/local
#   roma plan -c examples/local

variable "redis_password" {
  description = "requirepass/masterauth of every node (override with ROMA_VAR_redis_password)"
  sensitive   = true
  default     = "local-demo-only-password"
}

cluster "local" {
  partitions = 3
  hash       = "jump"
  password   = var.redis_password

  redis {
    maxmemory        = "64mb"
    maxmemory-policy = "allkeys-lru"
    appendonly       = true
  }
}

host "local" {
  address   = "127.0.0.1"
  transport = "local"
  root      = ".run"
  service   = "process"
}

node "local-7000" {
  host      = "local"
  port      = 7000
  partition = 0
}

node "local-7001" {
  host      = "local"
  port      = 7001
  partition = 0
}

node "local-7002" {
  host      = "local"
  port      = 7002
  partition = 1
}

node "local-7003" {
  host      = "local"
  port      = 7003
  partition = 1
}

node "local-7004" {
  host      = "local"
  port      = 7004
  partition = 2
}

node "local-7005" {
  host      = "local"
  port      = 7005
  partition = 2
}

status "st1" {
  host = "local"
  port = 7100
}

romad {
  hosts      = ["local"]
  down_after = "2s"
  http_port  = 9640
}
