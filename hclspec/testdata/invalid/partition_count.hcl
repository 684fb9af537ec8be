cluster "c" {
  partitions = 2.5 # ERROR: Value out of range
}

host "a" {
  address = "127.0.0.1"
}
