#!/usr/bin/env bash
# Every command and sub-command answers --help with its usage on stdout and exit 0, and an
# unknown command is one line on stderr with exit 1 (the operate issue: "--help on every
# command, consistent flags, meaningful exit codes").
set -euo pipefail
vigil=${1:?usage: help_test.sh PATH_TO_VIGIL}
devnet=$(dirname "$vigil")/vigil-devnet
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

for cmd in "" "run" "relay" "relay run" "relay retry" "relay pause" "relay resume" "relay list" \
  "verify" "verify run" "verify check" "status" "config check" "keys" "keys new" \
  "keys address" "eth" "eth keccak"; do
  # shellcheck disable=SC2086
  if out=$("$vigil" $cmd --help 2>/dev/null); then
    [[ $out == *usage* ]] && ok || bad "vigil $cmd --help: no usage on stdout"
  else
    bad "vigil $cmd --help: exit $?"
  fi
done
for cmd in up propose withdraw reorg demo; do
  "$devnet" "$cmd" --help >/dev/null 2>&1 && ok || bad "vigil-devnet $cmd --help"
done
err=$("$vigil" no-such-command 2>&1 >/dev/null) && bad "unknown command exited 0" || {
  [[ $? == 1 && $(wc -l <<<"$err") == 1 ]] && ok || bad "unknown command: not one line, exit 1"
}

echo "cli help: $passed passed, $failed failed"
[[ $failed == 0 ]]
