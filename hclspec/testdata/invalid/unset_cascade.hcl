# An unset variable is reported once, at its declaration; what uses it
# gets no second error.
variable "n" { # ERROR: No value for required variable
  type = number
}

cluster "c" {
  partitions = var.n
}

host "h" {
  address = "10.0.0.1"
  ssh {
    port = var.n
  }
}

dynamic "node" {
  for_each = range(var.n)
  labels   = ["n${node.value}"]
  content {
    host      = "h"
    port      = 7000 + node.value
    partition = node.value
  }
}

romad {
  hosts      = ["h"]
  http_port  = var.n + 9000
  down_after = "${var.n}s"
}

status "st" {
  host = "h"
  port = 7100
}
