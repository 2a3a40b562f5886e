#!/usr/bin/env bash
# CLI test for `vigil eth keccak`: known answers from independent sources, and the error
# contract (exit 1, exactly one stderr line "vigil eth keccak: ...", nothing on stdout).
# Usage: hash_test.sh PATH_TO_VIGIL   (reads $VIGIL_VECTORS for the KAT sweep when set)
set -euo pipefail
vigil=${1:?usage: hash_test.sh PATH_TO_VIGIL}
passed=0
failed=0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

# expect_out EXPECTED ARGS...: exit 0, stdout exactly EXPECTED, stderr empty.
expect_out() {
  local expected=$1; shift
  local rc=0
  "$vigil" eth keccak "$@" >"$scratch/out" 2>"$scratch/err" || rc=$?
  if [ "$rc" -ne 0 ]; then bad "keccak $* exited $rc: $(cat "$scratch/err")"; return; fi
  if [ "$(cat "$scratch/out")" != "$expected" ]; then
    bad "keccak $*: got '$(cat "$scratch/out")', want '$expected'"; return
  fi
  if [ -s "$scratch/err" ]; then bad "keccak $*: unexpected stderr: $(cat "$scratch/err")"; return; fi
  ok
}

# expect_error ARGS...: exit 1, one stderr line starting "vigil eth keccak: ", empty stdout.
expect_error() {
  local rc=0
  "$vigil" eth keccak "$@" >"$scratch/out" 2>"$scratch/err" || rc=$?
  if [ "$rc" -ne 1 ]; then bad "keccak $* (error case) exited $rc"; return; fi
  if [ -s "$scratch/out" ]; then bad "keccak $* (error case) wrote stdout: $(cat "$scratch/out")"; return; fi
  if [ "$(wc -l <"$scratch/err")" -ne 1 ]; then bad "keccak $*: want one stderr line, got: $(cat "$scratch/err")"; return; fi
  if ! grep -q '^vigil eth keccak: .' "$scratch/err"; then bad "keccak $*: stderr format: $(cat "$scratch/err")"; return; fi
  ok
}

# Empty input: keccak/SOURCE.md's sanity anchor (also ethers hashes.json case "empty").
empty=0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470
expect_out "$empty" 0x
expect_out "$empty" ""
expect_out "$empty" --text ""
# "hello world": the widely published value (web3.js / ethers docs), checked against Crypto++.
expect_out 0x47173285a8d7341e5e972fc677286384f802f8ef42a5ec5f03bbfa254cb01fad --text "hello world"
expect_out 0x47173285a8d7341e5e972fc677286384f802f8ef42a5ec5f03bbfa254cb01fad 0x68656c6c6f20776f726c64
# ERC-20 (EIP-20): transfer selector 0xa9059cbb and the Transfer event topic.
expect_out 0xa9059cbb2ab09eb219583f4a59a5d0623ade346d962bcd4e46b11da047c9049b --text "transfer(address,uint256)"
expect_out 0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef --text "Transfer(address,address,uint256)"
# Keccak team ShortMsgKAT_256.txt, Len = 24 and Len = 48 (upper-case hex and no prefix accepted).
expect_out 0x627d7bc1491b2ab127282827b8de2d276b13d7d70fb4c5957fdf20655bc7ac30 0x1F877C
expect_out 0x627d7bc1491b2ab127282827b8de2d276b13d7d70fb4c5957fdf20655bc7ac30 1f877c
expect_out 0x923062c4e6f057597220d182dbb10e81cd25f60b54005b2a75dd33d6dac518d0 0XC6F50BB74E29

# Every byte-aligned case of ShortMsgKAT_256.txt through the CLI, when the vectors are here.
kat=${VIGIL_VECTORS:-}/keccak/keccak-team/ShortMsgKAT_256.txt
if [ -n "${VIGIL_VECTORS:-}" ] && [ -f "$kat" ]; then
  count=0
  while read -r len msg md; do
    [ $((len % 8)) -eq 0 ] || continue
    count=$((count + 1))
    hexmsg=${msg:0:$((len / 4))}
    expect_out "0x$(echo "$md" | tr 'A-F' 'a-f')" "0x$hexmsg"
  done < <(awk '/^Len = /{l=$3} /^Msg = /{m=$3} /^MD = /{print l, m, $3}' "$kat")
  if [ "$count" -eq 176 ]; then ok; else bad "ShortMsgKAT: $count byte-aligned cases, INDEX.md says 176"; fi
else
  echo "note: VIGIL_VECTORS not set or ShortMsgKAT missing; KAT sweep skipped" >&2
fi

# Errors.
expect_error 0x123            # odd number of digits
expect_error 0x12zz           # not hex
expect_error "hello"          # not hex, no prefix
expect_error                  # missing argument
expect_error --text           # --text without its string
expect_error 0x12 0x34        # too many arguments
expect_error --text a b       # too many arguments

echo "cli hash: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
