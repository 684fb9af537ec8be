cluster "c" {
  partitions = 0 # ERROR: Value out of range
}
