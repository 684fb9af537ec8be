locals {
  a = local.b # ERROR: Cycle in local values
  b = local.a
}

cluster "c" {
  partitions = 1
}

host "h" {
  address = "127.0.0.1"
}

node "n0" {
  host      = "h"
  port      = 7000
  partition = 0
}
