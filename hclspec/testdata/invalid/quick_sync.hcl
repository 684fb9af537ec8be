cluster "c" {
  partitions = 1

  redis {
    repl-diskless-sync-delay = 0 # WARNING: Full syncs not held back
    maxmemory                = "64mb"
  }
}

host "a" {
  address = "127.0.0.1"
}

node "n0" {
  host      = "a"
  port      = 7000
  partition = 0
}

node "n1" {
  host      = "a"
  port      = 7001
  partition = 0

  redis {
    repl-diskless-sync = false # WARNING: Full syncs not held back
  }
}

node "n2" {
  host      = "a"
  port      = 7002
  partition = 0

  redis {
    repl-diskless-sync-delay = 3
  }
}

status "st1" {
  host = "a"
  port = 7000 # ERROR: Port already in use
}

romad {
  hosts = ["a"]
}
