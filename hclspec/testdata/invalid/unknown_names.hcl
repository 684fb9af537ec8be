cluster "c" { # ERROR: Missing required argument
  partitons = 1 # ERROR: Unsupported argument
}

host "a" { # ERROR: Missing address
  adress = "127.0.0.1" # ERROR: Unsupported argument
}

nodes "n0" { # ERROR: Unsupported block type
}

alert "sms" { # ERROR: Unknown alert kind
}
