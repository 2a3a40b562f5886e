#!/usr/bin/env bash
# CLI tests of the abi group of `vigil eth` (selector, topic, abi-encode, abi-decode,
# output-root, withdrawal-hash). Known answers are read at run time from the public vectors
# ($VIGIL_VECTORS, default ../shared/vectors beside the repo): the Solidity ABI spec
# examples, ethers' ABI cases, otterscan's topic0 list and the Optimism vectors. Under
# CI=true a missing vector file (or a missing jq) is a failure; otherwise it is skipped
# with a message.
set -euo pipefail
vigil=${1:?usage: abi_test.sh PATH_TO_VIGIL}
here=$(cd "$(dirname "$0")" && pwd)
vectors=${VIGIL_VECTORS:-$here/../../../shared/vectors}
pass=0
fail=0
skipped=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
bad() {
  fail=$((fail + 1))
  echo "FAIL $*" >&2
}

# missing WHAT: a skip, or a failure under CI=true.
missing() {
  if [ "${CI:-}" = "true" ]; then
    bad "missing under CI: $1"
  else
    echo "skip: $1 not found (set VIGIL_VECTORS)"
    skipped=$((skipped + 1))
  fi
}

# expect LABEL EXPECTED ARGS...: `vigil eth ARGS` prints EXPECTED, exits 0, stderr empty.
expect() {
  local label=$1 expected=$2 out rc=0
  shift 2
  out=$("$vigil" eth "$@" 2>"$tmp/err") || rc=$?
  if [ "$rc" -ne 0 ]; then
    bad "$label: exit $rc: $(head -c 300 "$tmp/err")"
  elif [ "$out" != "$expected" ]; then
    bad "$label: expected '$expected', got '$out'"
  elif [ -s "$tmp/err" ]; then
    bad "$label: unexpected stderr: $(head -c 300 "$tmp/err")"
  else
    ok
  fi
}

# expect_json LABEL EXPECTED_JSON ARGS...: like expect, comparing JSON values (jq -S).
expect_json() {
  local label=$1 expected out rc=0
  expected=$(jq -cS . <<<"$2")
  shift 2
  out=$("$vigil" eth "$@" 2>"$tmp/err") || rc=$?
  if [ "$rc" -ne 0 ]; then
    bad "$label: exit $rc: $(head -c 300 "$tmp/err")"
  elif [ "$(wc -l <<<"$out")" -ne 1 ]; then
    bad "$label: output is not one line"
  elif [ "$(jq -cS . <<<"$out" 2>/dev/null)" != "$expected" ]; then
    bad "$label: expected $expected, got $out"
  else
    ok
  fi
}

# expect_error LABEL NAME ARGS...: exit 1, nothing on stdout, one line "vigil eth NAME: ...".
expect_error() {
  local label=$1 name=$2 out rc=0
  shift 2
  out=$("$vigil" eth "$name" "$@" 2>"$tmp/err") || rc=$?
  if [ "$rc" -ne 1 ]; then
    bad "$label: expected exit 1, got $rc (stdout '$out')"
  elif [ -n "$out" ]; then
    bad "$label: stdout not empty: $out"
  elif [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q "^vigil eth $name: ." "$tmp/err"; then
    bad "$label: stderr is not one 'vigil eth $name: ...' line: $(cat "$tmp/err")"
  else
    ok
  fi
}

if ! command -v jq >/dev/null; then
  missing "jq (needed to read the vectors)"
  echo "cli abi: $pass passed, $fail failed, $skipped skipped"
  [ "$fail" -eq 0 ]
  exit
fi

# --- Solidity ABI spec examples: selector, calldata, decoding back ----------------------
spec=$vectors/abi/solidity-docs/abi-spec-examples.json
if [ -f "$spec" ]; then
  n=$(jq length "$spec")
  for ((i = 0; i < n; i++)); do
    sig=$(jq -r ".[$i].signature" "$spec")
    expect "selector $sig" "$(jq -r ".[$i].selector" "$spec")" selector "$sig"
    # Arguments in command-line syntax: arrays as [a,b], everything else as it is.
    mapfile -t args < <(jq -r ".[$i].args[] | if type == \"array\" then \"[\" + (map(tostring) | join(\",\")) + \"]\" else tostring end" "$spec")
    calldata=$(jq -r ".[$i].calldata" "$spec")
    expect "abi-encode $sig" "$calldata" abi-encode "$sig" "${args[@]}"
    expect "abi-encode --no-selector $sig" "0x${calldata:10}" abi-encode --no-selector "$sig" "${args[@]}"
    # Decoded: numbers as decimal strings, byte strings as 0x hex.
    want=$(jq -c ".[$i].args | walk(if type == \"number\" then tostring else . end)" "$spec")
    expect_json "abi-decode $sig" "$want" abi-decode "$sig" "$calldata"
    tuple="(${sig#*(}"
    expect_json "abi-decode $tuple" "$want" abi-decode "$tuple" "0x${calldata:10}"
    expect_json "abi-decode --no-selector $sig" "$want" abi-decode --no-selector "$sig" "0x${calldata:10}"
  done
  # The first example's calldata is not sam(...)'s: the selector is checked.
  expect_error "abi-decode wrong selector" abi-decode 'sam(bytes,bool,uint256[])' "$(jq -r '.[0].calldata' "$spec")"
  # baz(69, true) with the bool word set to 2, and cut short.
  baz=$(jq -r '.[0].calldata' "$spec")
  expect_error "abi-decode bool 2" abi-decode 'baz(uint32,bool)' "${baz:0:$((${#baz} - 1))}2"
  expect_error "abi-decode truncated" abi-decode 'baz(uint32,bool)' "${baz:0:$((${#baz} - 64))}"
  expect_error "abi-decode trailing" abi-decode 'baz(uint32,bool)' "${baz}00"
else
  missing "$spec"
fi

# --- ethers: one value of a type -> encoding (a sample across the file) ------------------
ethers=$vectors/abi/ethers/abi.json
if [ -f "$ethers" ]; then
  # Command-line text from the tagged "verbose" value: objects are tuples, strings are
  # quoted inside arrays/tuples and raw at top level.
  txt='def txt(top): if .type == "object" then "(" + (.value | map(txt(false)) | join(",")) + ")"
    elif .type == "array" then "[" + (.value | map(txt(false)) | join(",")) + "]"
    elif .type == "string" then (if top then .value else "\"" + (.value | gsub("\\\\"; "\\\\") | gsub("\""; "\\\"")) + "\"" end)
    elif .type == "boolean" then (.value | tostring) else .value end;'
  # One small JSON line per sampled case, so that jq does not re-read the big file.
  jq -c '.[range(0; length; 35)]' "$ethers" >"$tmp/ethers.jsonl"
  while IFS= read -r case; do
    name=$(jq -r .name <<<"$case")
    type=$(jq -r .type <<<"$case")
    encoded=$(jq -r .encoded <<<"$case")
    arg=$(jq -r "$txt .verbose | txt(true)" <<<"$case")
    expect "ethers $name abi-encode ($type)" "$encoded" abi-encode --no-selector "($type)" "$arg"
    expect_json "ethers $name abi-decode ($type)" "$(jq -c '[.value]' <<<"$case")" abi-decode "($type)" "$encoded"
  done <"$tmp/ethers.jsonl"
else
  missing "$ethers"
fi

# --- event topics -----------------------------------------------------------------------
topics=$vectors/abi/otterscan-topic0/event-topics.json
if [ -f "$topics" ]; then
  expect "topic Transfer" "$(jq -r '.[] | select(.signature == "Transfer(address,address,uint256)") | .topic0' "$topics")" \
    topic 'Transfer(address,address,uint256)'
  jq -c '.[range(0; length; 400)]' "$topics" >"$tmp/topics.jsonl"
  while IFS= read -r case; do
    want=$(jq -r .topic0 <<<"$case")
    sig=$(jq -r .signature <<<"$case")
    expect "topic $sig" "$want" topic "$sig"
    # The human-readable form with names and `indexed` gives the same topic.
    expect "topic $sig named" "$want" topic "$(jq -r '.withParameterNames | split(";")[0]' <<<"$case")"
  done <"$tmp/topics.jsonl"
else
  missing "$topics"
fi
bridge=$vectors/opstack/optimism/bridge-event-topics.json
if [ -f "$bridge" ]; then
  expect "topic MessagePassed" "$(jq -r '.[] | select(.signature | startswith("MessagePassed(")) | .topic0' "$bridge")" \
    topic 'MessagePassed(uint256 indexed nonce, address indexed sender, address indexed target, uint256 value, uint256 gasLimit, bytes data, bytes32 withdrawalHash)'
else
  missing "$bridge"
fi

# --- OP Stack: output root and withdrawal hashes -------------------------------------------
parts=$vectors/opstack/output-roots/op-node-mainnet-parts.json
if [ -f "$parts" ]; then
  expect "output-root" "$(jq -r .outputRoot "$parts")" output-root \
    --state-root "$(jq -r .stateRoot "$parts")" \
    --message-passer-root "$(jq -r .messagePasserStorageRoot "$parts")" \
    --block-hash "$(jq -r .blockHash "$parts")"
  expect_error "output-root missing option" output-root --state-root "$(jq -r .stateRoot "$parts")"
  expect_error "output-root short hash" output-root --state-root 0x1234 \
    --message-passer-root "$(jq -r .messagePasserStorageRoot "$parts")" --block-hash "$(jq -r .blockHash "$parts")"
else
  missing "$parts"
fi

withdrawal_args() { # FILE FILTER -> the withdrawal-hash options, one per line
  jq -r "$2 | \"--nonce\", .nonce, \"--sender\", .sender, \"--target\", .target, \"--value\", .value, \"--gas-limit\", .gasLimit, \"--data\", .data" "$1"
}
hashes=$vectors/opstack/optimism/withdrawal-hashes.json
if [ -f "$hashes" ]; then
  n=$(jq length "$hashes")
  for ((i = 0; i < n; i++)); do
    mapfile -t opts < <(withdrawal_args "$hashes" ".[$i]")
    expect "withdrawal-hash [$i]" "$(jq -r ".[$i].withdrawalHash" "$hashes")" withdrawal-hash "${opts[@]}"
  done
  mapfile -t opts < <(withdrawal_args "$hashes" ".[0]")
  expect_error "withdrawal-hash bad value" withdrawal-hash "${opts[@]:0:7}" 12x "${opts[@]:8}"
  expect_error "withdrawal-hash bad checksum" withdrawal-hash --nonce 0 \
    --sender 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD --target "${opts[5]}" --value 0 --gas-limit 0 --data 0x
  expect_error "withdrawal-hash missing data" withdrawal-hash "${opts[@]:0:10}"
else
  missing "$hashes"
fi
expected=$vectors/opstack/optimism/bridge-withdrawal-expected.json
if [ -f "$expected" ]; then
  mapfile -t opts < <(withdrawal_args "$expected" ".")
  expect "withdrawal-hash bridge" "$(jq -r .withdrawalHash "$expected")" withdrawal-hash "${opts[@]}"
else
  missing "$expected"
fi

# --- errors that need no vectors --------------------------------------------------------------
expect_error "selector bad type" selector 'transfer(address,uint257)'
expect_error "selector no args" selector
expect_error "topic two args" topic 'A()' 'B()'
expect_error "abi-encode arg count" abi-encode 'f(uint256,bool)' 1
expect_error "abi-encode uint8 overflow" abi-encode 'f(uint8)' 256
expect_error "abi-encode bare tuple needs --no-selector" abi-encode '(uint256)' 1
expect_error "abi-encode bad string list" abi-encode 'f(string[])' '[abc]'
expect_error "abi-decode bad hex" abi-decode '(uint256)' 0x12zz
expect_error "abi-decode huge length" abi-decode '(bytes)' \
  0x0000000000000000000000000000000000000000000000000000000000000020ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
expect_error "abi-decode multi-line signature" abi-decode $'(uint256\n,bool' 0x
expect_error "unknown option" output-root --state-root 0x00 --what 1

echo "cli abi: $pass passed, $fail failed, $skipped skipped"
[ "$fail" -eq 0 ]
