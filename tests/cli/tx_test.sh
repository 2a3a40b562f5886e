#!/usr/bin/env bash
# CLI tests of `vigil eth decode-tx | sign-tx | recover`. Known answers are read at run time
# from the public vectors ($VIGIL_VECTORS, default ../shared/vectors next to the repo) with
# jq; under CI=true a missing vector or jq is a failure, otherwise the script skips.
# Usage: tx_test.sh PATH_TO_VIGIL
set -euo pipefail
vigil=${1:?usage: tx_test.sh PATH_TO_VIGIL}
here=$(cd "$(dirname "$0")" && pwd)
vectors=${VIGIL_VECTORS:-$here/../../../shared/vectors}

skip_or_fail() {
  if [ "${CI:-}" = true ]; then
    echo "cli tx: $1 (failure under CI=true)" >&2
    exit 1
  fi
  echo "cli tx: skipped: $1"
  exit 0
}
command -v jq >/dev/null || skip_or_fail "jq not installed"
for f in transactions/eip-155/example.json transactions/ethers/transactions.json \
  transactions/ethereum-tests/ttSignature/Vitalik_1.json \
  transactions/ethereum-tests/ttRSValue/TransactionWithSvalueHigh.json \
  secp256k1/go-ethereum/ecRecover.json opstack/kona-executor/block-26207960.json; do
  [ -f "$vectors/$f" ] || skip_or_fail "vector missing: $vectors/$f"
done

passed=0
failed=0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# ok NAME EXPECTED CMD...: exit 0, stdout exactly EXPECTED, stderr empty.
ok() {
  local name=$1 expected=$2
  shift 2
  local status=0
  "$@" >"$scratch/out" 2>"$scratch/err" || status=$?
  if [ $status -eq 0 ] && [ "$(cat "$scratch/out")" = "$expected" ] && [ ! -s "$scratch/err" ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $name: status $status, stdout '$(cat "$scratch/out")', expected '$expected'," \
      "stderr '$(cat "$scratch/err")'" >&2
  fi
}

# field NAME JSON_KEY EXPECTED CMD...: exit 0 and the one-line JSON output has KEY = EXPECTED.
field() {
  local name=$1 key=$2 expected=$3
  shift 3
  local status=0 got
  "$@" >"$scratch/out" 2>"$scratch/err" || status=$?
  got=$(jq -r --arg k "$key" '.[$k]' <"$scratch/out" 2>/dev/null || echo "<bad json>")
  if [ $status -eq 0 ] && [ "$got" = "$expected" ] && [ "$(wc -l <"$scratch/out")" -eq 1 ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $name: status $status, $key = '$got', expected '$expected'" >&2
  fi
}

# err NAME CMD...: exit 1, nothing on stdout, exactly one stderr line "vigil eth CMD: ...".
err() {
  local name=$1
  shift
  local status=0
  "$@" >"$scratch/out" 2>"$scratch/err" || status=$?
  if [ $status -eq 1 ] && [ ! -s "$scratch/out" ] && [ "$(wc -l <"$scratch/err")" -eq 1 ] &&
    grep -q '^vigil eth [a-z-]*: ' "$scratch/err"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $name: status $status, stdout '$(cat "$scratch/out")', stderr '$(cat "$scratch/err")'" >&2
  fi
}

# not_leaked NAME SECRET: the last command's stdout and stderr do not contain SECRET.
not_leaked() {
  if grep -qiF -- "$2" "$scratch/out" "$scratch/err"; then
    failed=$((failed + 1))
    echo "FAIL $1: the private key appears in the output" >&2
  else
    passed=$((passed + 1))
  fi
}

lower() { tr 'A-F' 'a-f'; }

# --- decode-tx ------------------------------------------------------------------------
vitalik=$vectors/transactions/ethereum-tests/ttSignature/Vitalik_1.json
raw=$(jq -r '.[].txbytes' "$vitalik")
field "decode-tx Vitalik_1 sender" from "$(jq -r '.[].result.Cancun.sender' "$vitalik")" \
  "$vigil" eth decode-tx "$raw"
field "decode-tx Vitalik_1 hash" hash "$(jq -r '.[].result.Cancun.hash' "$vitalik")" \
  "$vigil" eth decode-tx "$raw"

eip155=$vectors/transactions/eip-155/example.json
signed155=$(jq -r .signedTx "$eip155")
field "decode-tx EIP-155 type" type 0x0 "$vigil" eth decode-tx "$signed155"
field "decode-tx EIP-155 chainId" chainId "0x$(printf '%x' "$(jq -r .chainId "$eip155")")" \
  "$vigil" eth decode-tx "$signed155"
field "decode-tx EIP-155 nonce" nonce "0x$(printf '%x' "$(jq -r .tx.nonce "$eip155")")" \
  "$vigil" eth decode-tx "$signed155"
field "decode-tx EIP-155 v" v "0x$(printf '%x' "$(jq -r .v "$eip155")")" \
  "$vigil" eth decode-tx "$signed155"
field "decode-tx EIP-155 to" to "$(jq -r .tx.to "$eip155" | lower)" \
  "$vigil" eth decode-tx "$signed155"

ethers=$vectors/transactions/ethers/transactions.json
case0=$(jq -c '.[] | select(.name == "random-0")' "$ethers")
london=$(jq -r .signedLondon <<<"$case0")
field "decode-tx ethers London type" type 0x2 "$vigil" eth decode-tx "$london"
field "decode-tx ethers London chainId" chainId "$(jq -r .transaction.chainId <<<"$case0")" \
  "$vigil" eth decode-tx "$london"
field "decode-tx ethers London maxFeePerGas" maxFeePerGas \
  "$(jq -r .transaction.maxFeePerGas <<<"$case0")" "$vigil" eth decode-tx "$london"
field "decode-tx ethers London r" r "$(jq -r .signatureLondon.r <<<"$case0")" \
  "$vigil" eth decode-tx "$london"
field "decode-tx ethers London to" to "$(jq -r .transaction.to <<<"$case0" | lower)" \
  "$vigil" eth decode-tx "$london"
cancun=$(jq -r .signedCancun <<<"$case0")
field "decode-tx ethers Cancun type" type 0x3 "$vigil" eth decode-tx "$cancun"

deposit=$(jq -r '.executing_payload.transactions[0]' "$vectors/opstack/kona-executor/block-26207960.json")
field "decode-tx OP deposit type" type 0x7e "$vigil" eth decode-tx "$deposit"
# The L1-attributes depositor account (OP Stack spec, "L1 Attributes Deposited Transaction").
field "decode-tx OP deposit from" from 0xdeaddeaddeaddeaddeaddeaddeaddeaddead0001 \
  "$vigil" eth decode-tx "$deposit"

err "decode-tx bad hex" "$vigil" eth decode-tx 0xzz
err "decode-tx trailing byte" "$vigil" eth decode-tx "${signed155}00"
err "decode-tx high s" "$vigil" eth decode-tx \
  "$(jq -r '.[].txbytes' "$vectors/transactions/ethereum-tests/ttRSValue/TransactionWithSvalueHigh.json")"
err "decode-tx no argument" "$vigil" eth decode-tx

# --- sign-tx --------------------------------------------------------------------------
request155=$(jq -c '{chainId: .chainId, nonce: .tx.nonce, gasPrice: .tx.gasPrice,
  gas: .tx.gasLimit, to: .tx.to, value: .tx.value, data: .tx.data}' "$eip155")
key155=$(jq -r .privateKey "$eip155")
ok "sign-tx EIP-155 example" "$signed155" env VIGIL_TEST_KEY="$key155" \
  "$vigil" eth sign-tx "$request155" --key-env VIGIL_TEST_KEY
not_leaked "sign-tx output hides the key" "${key155#0x}"
ok "sign-tx from stdin" "$signed155" bash -c \
  "VIGIL_TEST_KEY='$key155' '$vigil' eth sign-tx - --key-env VIGIL_TEST_KEY <<<'$request155'"

request_london=$(jq -c '.transaction | {type: "0x2", chainId, nonce, maxFeePerGas,
  maxPriorityFeePerGas, gasLimit, to, value, input: .data, accessList}' <<<"$case0")
ok "sign-tx ethers random-0 London" "$london" env VIGIL_TEST_KEY="$(jq -r .privateKey <<<"$case0")" \
  "$vigil" eth sign-tx "$request_london" --key-env VIGIL_TEST_KEY
request_berlin=$(jq -c '.transaction | {type: 1, chainId, nonce, gasPrice, gasLimit, to, value,
  data, accessList}' <<<"$case0")
ok "sign-tx ethers random-0 Berlin" "$(jq -r .signedBerlin <<<"$case0")" \
  env VIGIL_TEST_KEY="$(jq -r .privateKey <<<"$case0")" \
  "$vigil" eth sign-tx "$request_berlin" --key-env VIGIL_TEST_KEY

bad_key="0x5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e7zzzz"
err "sign-tx malformed key" env VIGIL_TEST_KEY="$bad_key" \
  "$vigil" eth sign-tx "$request155" --key-env VIGIL_TEST_KEY
not_leaked "sign-tx malformed key not echoed" "5ec7e75ec7e7"
err "sign-tx short key" env VIGIL_TEST_KEY=0x5ec7e75ec7e75ec7 \
  "$vigil" eth sign-tx "$request155" --key-env VIGIL_TEST_KEY
not_leaked "sign-tx short key not echoed" "5ec7e75ec7e7"
out_of_range=0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff5ec7
err "sign-tx key >= n" env VIGIL_TEST_KEY="$out_of_range" \
  "$vigil" eth sign-tx "$request155" --key-env VIGIL_TEST_KEY
not_leaked "sign-tx key >= n not echoed" "ffffffffffff5ec7"
err "sign-tx unset key variable" env -u VIGIL_TEST_KEY \
  "$vigil" eth sign-tx "$request155" --key-env VIGIL_TEST_KEY
err "sign-tx unknown field" env VIGIL_TEST_KEY="$key155" \
  "$vigil" eth sign-tx '{"chainId":1,"nonce":0,"gasPirce":1,"gas":21000}' --key-env VIGIL_TEST_KEY
if grep -q "gasPirce" "$scratch/err"; then passed=$((passed + 1)); else
  failed=$((failed + 1)); echo "FAIL sign-tx unknown field: error does not name it" >&2; fi
err "sign-tx missing --key-env" "$vigil" eth sign-tx "$request155"

# --- recover --------------------------------------------------------------------------
# ecRecover precompile vector "ValidKey": hash ‖ v ‖ r ‖ s (a high-s signature).
valid=$(jq -r '.[] | select(.Name == "ValidKey") | .Input' "$vectors/secp256k1/go-ethereum/ecRecover.json")
expected=0x$(jq -r '.[] | select(.Name == "ValidKey") | .Expected' \
  "$vectors/secp256k1/go-ethereum/ecRecover.json" | cut -c25-64)
hash=0x${valid:0:64}
v=${valid:126:2}
rs=${valid:128:128}
ok "recover ecRecover ValidKey (v=27/28)" "$expected" "$vigil" eth recover "$hash" "0x$rs$v"
ok "recover ecRecover ValidKey (v=0/1)" "$expected" \
  "$vigil" eth recover "$hash" "0x$rs$(printf '%02x' $((0x$v - 27)))"
err "recover 64-byte signature" "$vigil" eth recover "$hash" "0x$rs"
err "recover v = 2" "$vigil" eth recover "$hash" "0x${rs}02"
err "recover short hash" "$vigil" eth recover 0x1234 "0x$rs$v"

echo "cli tx: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
