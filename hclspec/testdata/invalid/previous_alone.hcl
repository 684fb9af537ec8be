cluster "c" {
  partitions        = 1 # ERROR: Partition with no node
  previous_password = "the-old-password" # ERROR: Previous password without a password
}
