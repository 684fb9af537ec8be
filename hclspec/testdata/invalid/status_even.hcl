cluster "c" {
  partitions = 1
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

status "st1" {
  host = "a"
  port = 7100
}

status "st2" { # WARNING: Even number of status nodes
  host = "b"
  port = 7000 # ERROR: Port already in use
}
