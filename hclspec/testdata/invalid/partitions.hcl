cluster "c" {
  partitions = 3 # ERROR: Partition with no node
}

host "a" {
  address = "127.0.0.1"
}

host "b" {
  address = "127.0.0.2"
}

node "n0" { # WARNING: Partition on a single host
  host      = "a"
  port      = 7000
  partition = 0
}

node "n1" {
  host      = "a"
  port      = 7001
  partition = 0
}

node "n2" {
  host      = "a"
  port      = 7002
  partition = 1
}

node "n3" {
  host      = "b"
  port      = 7002
  partition = 1
}
