cluster "c" {
  partitions = "four" # ERROR: Incorrect attribute value type
}

host "a" {
  address   = ["127.0.0.1"] # ERROR: Incorrect attribute value type
  transport = "telnet"      # ERROR: Invalid transport
}

node "n0" {
  host      = "a"
  port      = true # ERROR: Incorrect attribute value type
  partition = 0
}
