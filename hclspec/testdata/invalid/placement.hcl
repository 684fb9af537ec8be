cluster "c" {
  partitions = 2
}

host "a" {
  address = "127.0.0.1"
}

placement {
  hosts    = ["a"]
  replicas = 2 # ERROR: Not enough hosts
}
