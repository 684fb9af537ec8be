cluster "c" {
  partitions        = 1 # ERROR: Partition with no node
  password          = "the-new-password"
  previous_password = "old" # ERROR: Password too short
}
