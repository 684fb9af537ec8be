cluster "c" {
  partitions = 1
  redis {
    maxmemroy   = "1gb" # ERROR: Unknown redis.conf directive
    port        = 6379  # ERROR: Directive managed by roma
    requirepass = "x"   # ERROR: Directive managed by roma
    aclfile     = "/etc/redis/users.acl" # ERROR: Directive managed by roma
    replica-announce-ip = "10.9.9.9" # ERROR: Directive managed by roma
    maxmemory   = ["1gb", "2gb"] # ERROR: Invalid redis.conf value
    repl-backlog-size = "64 potatoes" # ERROR: Invalid redis.conf value
    appendonly  = "maybe" # ERROR: Invalid redis.conf value
    maxmemory-policy = "allkeys_lru" # ERROR: Invalid redis.conf value
    appendfsync = "everysec" # valid: no diagnostic
    replica-read-only = true # valid: written yes
    rename-command = ["FLUSHALL \"\"", "KEYS all keys"] # ERROR: Invalid redis.conf value
    save = ["900 1", "300 \"10"] # ERROR: Invalid redis.conf value
    client-output-buffer-limit = "replica 256mb 64mb 60" # valid: one line
  }
}

host "a" {
  address = "127.0.0.1"
}

node "n0" {
  host      = "a"
  port      = 7000
  partition = 0
  database  = 16 # ERROR: Database out of range
  redis {
    rename-command = [
      "FLUSHALL \"\"",
      "config secret-name", # ERROR: Invalid redis.conf value
    ]
  }
}
