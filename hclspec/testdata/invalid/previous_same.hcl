cluster "c" {
  partitions        = 1 # ERROR: Partition with no node
  password          = "the-same-password"
  previous_password = "the-same-password" # ERROR: Previous password is the password
}
