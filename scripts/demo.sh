#!/usr/bin/env bash
# demo.sh runs roma's main job on examples/local: one machine, no SSH. For
# now it validates, formats, hashes and plans; it grows with every feature
# until it applies the cluster and shows its status.
set -euo pipefail
cd "$(dirname "$0")/.."
roma=bin/roma
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step $roma version
step $roma validate examples/local
step $roma fmt -check -recursive examples
step $roma hash -c examples/local user:1000 user:1001 'cart:{user:1000}' session:42
# plan looks at this machine and changes nothing: on a fresh clone it shows
# every directory, node and status node that apply would create.
step $roma plan -c examples/local
echo
echo "roma demo: done."
