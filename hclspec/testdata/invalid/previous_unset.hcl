# An unset password is reported once, at its declaration: the
# previous_password beside it gets no second error.
variable "pw" { # ERROR: No value for required variable
  sensitive = true
}

cluster "c" {
  partitions        = 1
  password          = var.pw
  previous_password = "the-old-password"
}

host "h" {
  address = "10.0.0.1"
}

node "n0" {
  host      = "h"
  port      = 7000
  partition = 0
}
