cluster "c" {
  partitions = 2
}

host "a" {
  address = "127.0.0.1"
}

node "n0" {
  host      = "a"
  port      = 70000 # ERROR: Value out of range
  partition = 0
}

node "n1" {
  host      = "a"
  port      = 0 # ERROR: Value out of range
  partition = 1
}

node "n2" {
  host      = "a"
  port      = 7000
  partition = 0
}

node "n3" {
  host      = "a"
  port      = 7000 # ERROR: One Redis instance serving two partitions
  partition = 1
}

node "n4" {
  host      = "a"
  port      = 7000 # ERROR: Port already in use
  partition = 0
  database  = 1
}

status "st" {
  host = "a"
  port = 7000 # ERROR: Port already in use
}
