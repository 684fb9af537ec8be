cluster "c" {
  partitions = 2 # ERROR: Partition with no node
}

host "db1" {
  address = "127.0.0.1"
}

node "n0" {
  host      = "db2" # ERROR: Unknown host
  port      = 7000
  partition = 0
}

node "n1" {
  host      = "db1"
  port      = 7001
  partition = 5 # ERROR: No such partition
}

status "st" {
  host = "dbx" # ERROR: Unknown host
  port = 7100
}

romad {
  hosts = ["db1", "db3"] # ERROR: Unknown host
}

backup {
  every = "1h"
  host  = "nowhere" # ERROR: Unknown host
  dir   = "/b"
}
