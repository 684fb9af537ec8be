#!/usr/bin/env bash
# demo.sh runs roma's main job on examples/local: one machine, no SSH.
# It validates the configuration, applies it (3 partitions x 2 nodes, a
# status node and romad, all on 127.0.0.1 under examples/local/.run), shows
# the cluster status, writes and reads a few keys through the partitions,
# and ends with a plan that must show no changes. The cluster keeps running afterwards; `bin/roma stop -c
# examples/local` stops it, `bin/roma destroy -c examples/local` removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
roma=bin/roma
cfg=examples/local
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step $roma version
step $roma validate $cfg
step $roma fmt -check -recursive examples
step $roma apply -c $cfg -auto-approve

# romad (installed by apply) publishes the cluster status within moments.
for _ in $(seq 50); do $roma status -c $cfg -format summary >/dev/null 2>&1 && break; sleep 0.2; done
step $roma status -c $cfg

# A write and a read through the cluster: roma hash names each key's
# partition; the partition's master is found with ROLE.
pw=${ROMA_VAR_redis_password:-local-demo-only-password}
rcli() { redis-cli -h 127.0.0.1 --no-auth-warning -a "$pw" "$@"; }
master_of() { # partition -> port of its master (nodes 7000+2p and 7001+2p)
  local p=$1 port
  for port in $((7000 + 2 * p)) $((7001 + 2 * p)); do
    if rcli -p "$port" ROLE 2>/dev/null | head -1 | grep -qx master; then echo "$port"; return; fi
  done
  echo "no master for partition $p" >&2; return 1
}
printf '\n\033[1m$ write and read through the cluster\033[0m\n'
for key in user:1000 user:1001 'cart:{user:1000}' session:42; do
  p=$($roma hash -c $cfg "$key")
  port=$(master_of "$p")
  rcli -p "$port" SET "$key" "value of $key" >/dev/null
  got=$(rcli -p "$port" GET "$key")
  printf '  %-18s partition %s  master 127.0.0.1:%s  GET -> %s\n' "$key" "$p" "$port" "$got"
  [ "$got" = "value of $key" ] || { echo "demo: read back the wrong value for $key" >&2; exit 1; }
done

# The final plan: roma.hcl and the live cluster match.
step $roma plan -c $cfg -detailed-exitcode
echo
echo "roma demo: done. The cluster keeps running: bin/roma stop -c $cfg stops it, bin/roma destroy -c $cfg removes it."
