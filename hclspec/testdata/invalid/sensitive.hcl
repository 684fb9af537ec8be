# A value from a sensitive variable may go only where roma never prints it:
# a password, or a redis block.
variable "pw" {
  sensitive = true
  default   = "default-secret-value"
}

cluster "c" {
  partitions = 1
  password   = var.pw
  hash       = var.pw # ERROR: Sensitive value not allowed here
  redis {
    masteruser   = "roma"
    syslog-ident = var.pw
  }
}

host "a" {
  address = "db-${var.pw}" # ERROR: Sensitive value not allowed here
  root    = "/srv/${upper(var.pw)}" # ERROR: Sensitive value not allowed here
}

node "n0" {
  host      = "a"
  port      = 7000 + (var.pw == "x" ? 1 : 0) # ERROR: Sensitive value not allowed here
  partition = 0
}
