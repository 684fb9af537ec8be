#!/bin/sh
# A test exec hash program: argv is KEY N; the key picks the behaviour.
case "$1" in
good)   echo 2 ;;
spaces) printf '  3 \r\n\n' ;;
nan)    echo abc ;;
empty)  ;;
range)  echo "$2" ;;
neg)    echo -1 ;;
big)    i=0; while [ $i -lt 300 ]; do echo 0123456789; i=$((i+1)); done ;;
fail)   echo "boom: disk on fire" >&2; echo "second line" >&2; exit 3 ;;
quiet)  exit 4 ;;
sleep)  sleep 30; echo 0 ;;
*)      printf '%s' "$1" | cksum | { read sum _; echo $((sum % $2)); } ;;
esac
