#!/usr/bin/env bash
# demo.sh runs roma's main job on the embedded default, examples/local: one
# machine, no SSH. It grows with every feature until it applies the cluster
# and shows its status.
set -euo pipefail
cd "$(dirname "$0")/.."
roma=bin/roma
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step $roma version
step $roma validate examples/local
step $roma fmt -check -recursive examples
step $roma hash -c examples/local user:1000 user:1001 'cart:{user:1000}' session:42
echo
echo "roma demo: done."
