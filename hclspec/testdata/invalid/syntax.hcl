cluster "c" {
  partitions = 1
}

host "a" {
  address = "127.0.0.1"
  port =    # ERROR: Invalid expression
}
