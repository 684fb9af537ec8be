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

# Writes and reads through the cluster with roma cli, the original roma:
# it hashes each key to its partition and sends the command to that
# partition's master, as the published status names it.
step $roma cli -c $cfg --which user:1000 user:1001 'cart:{user:1000}' session:42
step $roma cli -c $cfg MSET user:1000 alice user:1001 bob 'cart:{user:1000}' 3-items session:42 s42
step $roma cli -c $cfg MGET user:1000 user:1001 'cart:{user:1000}' session:42
got=$($roma cli -c $cfg --raw GET user:1001)
[ "$got" = bob ] || { echo "demo: read back '$got' for user:1001, not bob" >&2; exit 1; }
step $roma cli -c $cfg --all DBSIZE

# The final plan: roma.hcl and the live cluster match.
step $roma plan -c $cfg -detailed-exitcode
echo
echo "roma demo: done. The cluster keeps running: bin/roma stop -c $cfg stops it, bin/roma destroy -c $cfg removes it."
