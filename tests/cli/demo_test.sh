#!/usr/bin/env bash
# `make demo`'s program (vigil-devnet demo) end to end, as a newcomer runs it: it must reach
# its summary with every withdrawal finalized, the invalid root caught and challenged on
# L1, and vigil stopped cleanly (exit 0); and a Ctrl-C (SIGINT) in the middle of the
# traffic must end it cleanly too, with vigil's store left consistent.
set -euo pipefail
vigil=${1:?usage: demo_test.sh PATH_TO_VIGIL}
devnet=$(dirname "$vigil")/vigil-devnet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

# The whole demo, to its summary.
if "$devnet" demo --vigil "$vigil" --dir "$tmp/full" --seconds 90 >"$tmp/full.out" 2>&1; then ok; else
  bad "demo exited $?"; tail -30 "$tmp/full.out" >&2
fi
grep -q 'result: *every withdrawal finalized, the invalid root challenged' "$tmp/full.out" && ok ||
  bad "no successful summary"
grep -q 'invalid root: *caught and challenged on L1' "$tmp/full.out" && ok || bad "invalid root not challenged"
grep -q 'vigil exit status: *0' "$tmp/full.out" && ok || bad "vigil did not stop cleanly"
# op-a was judged by re-execution: blocks re-executed, none stuck, the node never differed.
grep -Eq 'op-a re-executed: +[1-9][0-9]* blocks .*, 0 node header mismatches$' "$tmp/full.out" && ok ||
  bad "op-a was not re-executed cleanly"
# Live progress was shown while it ran.
[[ $(grep -c '| withdrawals .* sent, .* proved, .* finalized | proposals' "$tmp/full.out") -ge 5 ]] && ok ||
  bad "no live progress lines"
# Every withdrawal the summary counts as sent was finalized.
line=$(grep 'withdrawals: ' "$tmp/full.out")
sent=$(sed -E 's/.* ([0-9]+) sent.*/\1/' <<<"$line")
final=$(sed -E 's/.* ([0-9]+) finalized.*/\1/' <<<"$line")
[[ $sent -gt 0 && $sent == "$final" ]] && ok || bad "sent $sent, finalized $final"

# Ctrl-C in the middle of the traffic: a clean end, vigil exit 0, the store usable after.
"$devnet" demo --vigil "$vigil" --dir "$tmp/int" --seconds 90 >"$tmp/int.out" 2>&1 &
pid=$!
for _ in $(seq 1 120); do grep -q 'withdrawals [1-9]' "$tmp/int.out" 2>/dev/null && break; sleep 0.5; done
kill -INT "$pid"
if wait "$pid"; then ok; else bad "interrupted demo exited $?"; tail -20 "$tmp/int.out" >&2; fi
grep -q 'interrupted: stopping vigil' "$tmp/int.out" && ok || bad "no interrupted message"
grep -q 'vigil exit status: *0' "$tmp/int.out" && ok || bad "vigil did not stop cleanly on Ctrl-C"
grep -q '"msg":"vigil run stopped"' "$tmp/int/vigil.log" && ok || bad "vigil's log has no clean stop"

echo "cli demo: $passed passed, $failed failed"
[[ $failed == 0 ]]
