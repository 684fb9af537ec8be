#!/bin/sh
# answer.sh KEY N: an exec hash program whose behaviour the caller chooses,
# for the exec test vectors (exec_vectors.txt). It writes $ROMA_TEST_STDOUT
# to standard output and $ROMA_TEST_STDERR to standard error, expanding
# printf %b escapes (\n, \r, \t, \\, \0NNN), and exits $ROMA_TEST_EXIT.
printf '%b' "${ROMA_TEST_STDOUT-}"
printf '%b' "${ROMA_TEST_STDERR-}" >&2
exit "${ROMA_TEST_EXIT:-0}"
