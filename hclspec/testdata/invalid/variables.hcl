variable "password" { # ERROR: No value for required variable
  sensitive = true
}

variable "count" {
  type    = number
  default = "many" # ERROR: Invalid value for variable
}

cluster "c" {
  partitions = 1
  password   = var.password
}

host "a" {
  address = "127.0.0.1"
}

node "n0" {
  host      = "a"
  port      = 7000
  partition = 0
}
