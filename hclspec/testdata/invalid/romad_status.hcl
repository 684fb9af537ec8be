cluster "c" {
  partitions = 1
}

host "a" {
  address = "127.0.0.1"
}

node "n0" {
  host      = "a"
  port      = 7000
  partition = 0
}

romad { # ERROR: romad needs status nodes
  hosts     = ["a"]
  http_port = 7000 # ERROR: Port already in use
}
