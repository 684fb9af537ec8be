cluster "c" {
  partitions = 1
  hashes     = "jump" # ERROR: Unsupported argument
}

host "a" {
  address = "127.0.0.1"
}

host "b" {
  address = "127.0.0.2"
}

node "n0" {
  host      = "a"
  port      = 7000
  partition = 0
}

node "n1" {
  host      = "b"
  port      = 7000
  partition = 0
}

status "st" {
  host = "a"
  port = 7100
}

romad {
  hosts = ["a"]
}

backup {
  every = "6h"
  host  = "b" # WARNING: Backup host runs no romad
  dir   = "/var/backups/roma"
}
