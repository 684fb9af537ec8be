#!/usr/bin/env bash
# bench.sh runs roma's benchmarks: each compares roma with its peer tools
# (OpenSSH scp, Ansible, redis-sentinel, twemproxy, redis-cli) in one run and
# prints medians and ratios. Peers come from Debian and are installed here.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh scp:openssh-client
echo "== hash functions"
go test ./providers/hash -run '^$' -bench . -benchmem -count 5
if [ -d remote ]; then
  # 8 lab hosts (real sshd, as root): connecting, and pushing 16 MiB to each,
  # roma vs ssh/scp one host after another and all at once; 5 runs each,
  # then a table of medians and ratios.
  echo "== remote: connect and push over SSH vs ssh/scp (8 lab hosts)"
  go test ./remote -run '^$' -bench '^BenchmarkRemote$' -benchtime 5x -timeout 20m
fi
