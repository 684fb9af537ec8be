cluster "c" {
  partitions = 1
  hash       = "crc16" # ERROR: Invalid hash function
  password   = "short" # ERROR: Password too short
}

host "a" {
  address = "not an address!" # ERROR: Invalid address
  root    = "var/lib/roma"    # ERROR: Relative root
}

node "n0" {
  host      = "a"
  port      = 7000
  partition = 0
}

status "st" {
  host = "a"
  port = 7100
}

romad {
  hosts      = ["a"]
  down_after = "soon" # ERROR: Invalid duration
}

backup {
  every = "1h"
  host  = "a"
  dir   = "backups" # ERROR: Relative backup dir
}

alert "email" {
  smtp = "smtp.example.com" # ERROR: Invalid smtp address
  from = "roma@example.com"
  to   = []                 # ERROR: No recipients
}
