#!/usr/bin/env bash
# deps.sh installs the Debian packages roma's demo and tests need, when they
# are missing: redis-server and redis-tools (the nodes), openssh-server (the
# test lab's hosts), and each extra COMMAND[:PACKAGE] argument whose command
# is missing (make test passes xmllint:libxml2-utils and chromium). As root
# it uses apt-get; otherwise it says exactly what is missing and how to
# install it.
set -euo pipefail

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
for extra in "$@"; do
  case "$extra" in
    *:*) cmd=${extra%%:*}; pkg=${extra#*:} ;;
    *) cmd=$extra; pkg=$extra ;;
  esac
  command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
done

[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "roma: missing Debian packages: ${need[*]}" >&2
  echo "roma: install them as root with: apt-get install -y ${need[*]}" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "roma: missing packages ${need[*]}, and apt-get is not available to install them" >&2
  exit 1
fi
echo "roma: installing Debian packages: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends "${need[@]}" >/tmp/roma-apt.log 2>&1; then
  apt-get update >>/tmp/roma-apt.log 2>&1 || true
  if ! apt-get install -y --no-install-recommends "${need[@]}" >>/tmp/roma-apt.log 2>&1; then
    echo "roma: apt-get install ${need[*]} failed; see /tmp/roma-apt.log:" >&2
    tail -5 /tmp/roma-apt.log >&2
    exit 1
  fi
fi
