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
if [ -d bench/planbench ]; then
  # roma plan on 8 lab hosts × 8 nodes vs ansible-playbook --check --diff
  # of bench/peers/ansible (forks 8) on the same hosts, and roma plan on
  # 1 host × 8 nodes; converged clusters, 7 runs each, medians and ratios.
  echo "== plan: roma plan vs ansible-playbook --check --diff (8 lab hosts)"
  scripts/deps.sh ansible-playbook:ansible-core
  go run ./bench/planbench -runs 7
fi
if [ -d bench/applybench ]; then
  # a fresh roma apply of 64 nodes (32 partitions × 2) on 8 empty lab hosts
  # vs ansible-playbook of bench/peers/ansible/apply.yml (forks 8) on the
  # same hosts, 5 runs each, torn down with roma destroy -purge-data between
  # runs; then a no-op roma apply vs roma plan on the converged cluster, 7
  # runs each; medians, ratios and where the time goes.
  echo "== apply: fresh roma apply vs ansible-playbook apply.yml (8 lab hosts), no-op apply vs plan"
  scripts/deps.sh ansible-playbook:ansible-core
  go run ./bench/applybench -runs 5 -noop-runs 7
fi
if [ -d bench/failover ]; then
  # kill -9 of the master under a writer, 20 trials each: romad vs
  # redis-sentinel (Debian) with the same down-after (2s) on the same 3 lab
  # hosts; median, p99 and max of kill → first write on the new master,
  # acknowledged writes lost per failover, and the targets; then 5 quick
  # restarts each (kill -9, the master started again at once from its
  # redis.conf): acknowledged writes lost.
  scripts/deps.sh redis-sentinel:redis-sentinel
  go run ./bench/failover -trials 20 -down-after 2s
fi
if [ -d bench/client ]; then
  # key routing on 4 partitions (4 lab hosts, one master each): roma's Go
  # client vs go-redis straight to the masters with keys pre-grouped (a)
  # and vs go-redis through twemproxy (b), pipelined SET then GET of 200k
  # keys with 1 and 8 goroutines; roma cli --pipe vs redis-cli --pipe on
  # one node (c), 500k SETs; 7 runs each, medians, ratios and targets.
  echo "== client: roma client vs go-redis direct and twemproxy, roma cli --pipe vs redis-cli --pipe (4 partitions)"
  scripts/deps.sh nutcracker:nutcracker
  go run ./bench/client -runs 7 -pipe-runs 7
fi
if [ -d backup ]; then
  # backup of 4 partitions of about 250 MB each: roma's parallel backup vs
  # redis-cli --rdb of the same nodes one after another, with the CPU used
  # by each side (roma, redis-cli, the servers and their forks).
  echo "== backup: roma backup (4 x 250 MB, parallel) vs redis-cli --rdb one node after another"
  go test ./backup -run '^$' -bench Backup4x250MB -benchtime 1x -timeout 20m
  echo "== restore: roma restore of 4 partitions in the lab (verify, stage, load, replicas in sync)"
  go test ./backup/restore -run '^$' -bench Restore -benchtime 1x -timeout 20m
fi
if [ -d bench/chaos ]; then
  # a 3 × 3 cluster with 3 romads under 6 writers for 2 minutes, a fault
  # every 7s (kill -9 or SIGSTOP of a master, kill -9 of a replica, of the
  # alpha romad, of a status node or of a whole host, SIGSTOP of a status
  # node), brought back with roma start; then every key read back:
  # acknowledged writes lost (target 0), and the failures by kind.
  echo "== chaos: acknowledged writes lost under faults (3 partitions × 3 nodes, 3 romads)"
  go run ./bench/chaos -d 2m
fi
