cluster "c" {
  partitions = 1
}

cluster "d" { # ERROR: Duplicate cluster block
  partitions = 1
}

host "a" {
  address = "127.0.0.1"
}

host "a" { # ERROR: Duplicate host "a"
  address = "127.0.0.2"
}

node "n0" {
  host      = "a"
  port      = 7000
  partition = 0
}

node "n0" { # ERROR: Duplicate node "n0"
  host      = "a"
  port      = 7001
  partition = 0
}

status "n0" { # ERROR: Duplicate status "n0"
  host = "a"
  port = 7100
}
