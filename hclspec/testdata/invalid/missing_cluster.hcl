host "a" { # ERROR: Missing cluster block
  address = "127.0.0.1"
}
