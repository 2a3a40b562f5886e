#!/usr/bin/env bash
# CLI tests of `vigil eth` rlp-encode, rlp-decode, trie-root and verify-proof.
# Known answers come from the public vectors ($VIGIL_VECTORS, default ../shared/vectors
# next to the repo) and from the RLP/trie specs; under CI=true missing vectors fail.
# Plain bash + sed/grep/od: the vector files are read without jq or python.
set -euo pipefail
vigil=${1:?usage: rlp_trie_test.sh PATH_TO_VIGIL}
here=$(cd "$(dirname "$0")" && pwd)
vectors=${VIGIL_VECTORS:-$here/../../../shared/vectors}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() {
  failed=$((failed + 1))
  echo "FAIL: $*" >&2
}

# check NAME EXPECTED ACTUAL
check() {
  if [ "$2" = "$3" ]; then ok; else bad "$1: expected '$2', got '$3'"; fi
}

# run_ok NAME EXPECTED [STDIN_FILE] -- ARGS...: exit 0 and stdout == EXPECTED.
run_ok() {
  local name=$1 expected=$2 input=$3
  shift 4
  local out rc=0
  out=$("$vigil" eth "$@" <"$input" 2>"$scratch/err") || rc=$?
  if [ $rc -ne 0 ]; then
    bad "$name: exit $rc: $(cat "$scratch/err")"
    return
  fi
  check "$name" "$expected" "$out"
}

# run_err NAME CMD STDIN_FILE NEEDLE -- ARGS...: exit 1, nothing on stdout, exactly one
# stderr line "vigil eth CMD: …" containing NEEDLE.
run_err() {
  local name=$1 cmd=$2 input=$3 needle=$4
  shift 5
  local rc=0
  "$vigil" eth "$@" <"$input" >"$scratch/out" 2>"$scratch/err" || rc=$?
  local lines
  lines=$(wc -l <"$scratch/err")
  if [ $rc -ne 1 ] || [ -s "$scratch/out" ] || [ "$lines" -ne 1 ] ||
    ! grep -q "^vigil eth $cmd: .*$needle" "$scratch/err"; then
    bad "$name: rc=$rc stdout='$(cat "$scratch/out")' stderr='$(cat "$scratch/err")'"
  else
    ok
  fi
}

empty=$scratch/empty
: >"$empty"
stdin=$scratch/stdin

# --- From the specs (no vectors needed) ----------------------------------------------
# Ethereum wiki RLP examples: "dog", ["cat","dog"], the set-theoretic three.
run_ok "wiki dog" 0x83646f67 "$empty" -- rlp-encode '"0x646f67"'
run_ok "wiki cat dog" 0xc88363617483646f67 "$empty" -- rlp-encode '["0x636174","0x646f67"]'
run_ok "wiki three" '[[],[[]],[[],[[]]]]' "$empty" -- rlp-decode 0xc7c0c1c0c3c0c1c0
run_ok "wiki empty string" '"0x"' "$empty" -- rlp-decode 0x80
run_ok "wiki 1024" '"0x0400"' "$empty" -- rlp-decode 0x820400
# Yellow paper appendix D: the empty trie's root is keccak256(rlp("")).
echo '[]' >"$stdin"
run_ok "empty trie" 0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421 "$stdin" -- trie-root
echo '[["0x01","0x02"],["0x01",null]]' >"$stdin"
run_ok "put then delete" 0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421 "$stdin" -- trie-root --secure

run_err "decode non-canonical" rlp-decode "$empty" "below 0x80" -- rlp-decode 0x8100
run_err "decode trailing" rlp-decode "$empty" "trailing" -- rlp-decode 0x8000
run_err "decode bad hex" rlp-decode "$empty" "" -- rlp-decode 0xzz
run_err "encode number" rlp-encode "$empty" "expected a hex string" -- rlp-encode '[1]'
run_err "encode bad json" rlp-encode "$empty" "JSON" -- rlp-encode '["0x01"'
run_err "encode no args" rlp-encode "$empty" "" -- rlp-encode
echo '[["0x01"]]' >"$stdin"
run_err "trie bad pair" trie-root "$stdin" "pair 0" -- trie-root
echo '{}' >"$stdin"
run_err "trie not array" trie-root "$stdin" "array" -- trie-root
run_err "proof no root" verify-proof "$empty" "state-root" -- verify-proof
echo '{"address":"0x00"}' >"$stdin"
run_err "proof bad json" verify-proof "$stdin" "" -- verify-proof --state-root 0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421

# --- From the vectors ----------------------------------------------------------------
if [ ! -d "$vectors" ]; then
  if [ "${CI:-}" = "true" ]; then
    bad "vectors missing under CI: $vectors"
  else
    echo "cli rlp_trie: vectors not found at $vectors (set VIGIL_VECTORS): vector checks skipped"
  fi
else
  # ethers rlp.json: {name, decoded, encoded}; hex only, so whitespace can be dropped.
  n=0
  while IFS= read -r record; do
    decoded=$(sed -E 's/.*"decoded":(.*),"encoded":.*/\1/' <<<"$record")
    encoded=$(sed -E 's/.*"encoded":"(0x[0-9a-f]*)".*/\1/' <<<"$record")
    name=$(sed -E 's/.*"name":"([^"]*)".*/\1/' <<<"$record")
    run_ok "ethers $name encode" "$encoded" "$empty" -- rlp-encode "$decoded"
    run_ok "ethers $name decode" "$decoded" "$empty" -- rlp-decode "$encoded"
    n=$((n + 1))
  done < <(tr -d ' \n' <"$vectors/rlp/ethers/rlp.json" | sed 's/},{/}\n{/g'; echo)
  check "ethers case count" 43 "$n"

  # invalidRLPTest.json: every `out` must be rejected.
  n=0
  while IFS= read -r out; do
    run_err "invalid rlp $out" rlp-decode "$empty" "rlp: " -- rlp-decode "$out"
    n=$((n + 1))
  done < <(grep -oE '"out": *"[0-9a-fA-Fx]*"' "$vectors/rlp/ethereum-tests/invalidRLPTest.json" |
    sed -E 's/.*"([0-9a-fA-Fx]*)"$/\1/')
  check "invalid rlp case count" 21 "$n"

  # TrieTests: strings are hex when 0x-prefixed, else raw ASCII; null deletes.
  to_hex() {
    case $1 in
      0x*) printf '%s' "$1" ;;
      *) printf '0x%s' "$(printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n')" ;;
    esac
  }
  # trie_pairs_json LIST: '"k","v","k2",null,…' (flattened) -> '[["0x…","0x…"],…]'
  trie_pairs_json() {
    local items=() tok out="[" i
    while IFS= read -r tok; do items+=("$tok"); done < <(grep -oE '"[^"]*"|null' <<<"$1")
    for ((i = 0; i < ${#items[@]}; i += 2)); do
      local k=${items[i]} v=${items[i + 1]}
      k=$(to_hex "${k//\"/}")
      if [ "$v" = null ]; then v=null; else v="\"$(to_hex "${v//\"/}")\""; fi
      [ "$out" = "[" ] || out+=","
      out+="[\"$k\",$v]"
    done
    printf '%s]' "$out"
  }
  # run_trie_file FILE FLAGS EXPECTED_CASES: ordered lists ("in":[[k,v],…]) or maps
  # ("in":{k:v,…}); the trie's root must equal "root".
  run_trie_file() {
    local file=$1 flags=$2 want=$3 n=0 case_json list root
    while IFS= read -r case_json; do
      list=$(sed -E 's/^"in":[[{](.*)[]}],"root":.*/\1/' <<<"$case_json")
      root=$(sed -E 's/.*"root":"(0x[0-9a-f]{64})"/\1/' <<<"$case_json")
      trie_pairs_json "$list" >"$stdin"
      # shellcheck disable=SC2086
      run_ok "$(basename "$file") case $n" "$root" "$stdin" -- trie-root $flags
      n=$((n + 1))
    done < <(tr -d ' \n' <"$file" |
      grep -oE '"in":(\[(\[[^]]*\],?)*\]|\{[^}]*\}),"root":"0x[0-9a-f]{64}"')
    check "$(basename "$file") case count" "$want" "$n"
  }
  t=$vectors/trie/ethereum-tests
  run_trie_file "$t/trietest.json" "" 5
  run_trie_file "$t/trietest_secureTrie.json" --secure 2
  run_trie_file "$t/trieanyorder.json" "" 3
  run_trie_file "$t/trieanyorder_secureTrie.json" --secure 7
  run_trie_file "$t/hex_encoded_securetrie_test.json" --secure 3

  # eth_getProof with a storage slot on the hive chain, against block 0x36's stateRoot.
  p=$vectors/proofs/execution-apis
  state_root=$(grep '^<<' "$p/eth_getBlockByNumber/get-latest.io" |
    grep -oE '"stateRoot":"0x[0-9a-f]{64}"' | cut -d'"' -f4)
  grep '^<<' "$p/eth_getProof/get-account-proof-with-storage.io" | cut -c4- >"$stdin"
  out=$("$vigil" eth verify-proof --state-root "$state_root" <"$stdin") || bad "hive proof: exit $?"
  storage_hash=$(grep -oE '"storageHash":"0x[0-9a-f]{64}"' "$stdin" | cut -d'"' -f4)
  check "hive proof account" \
    "{\"address\":\"0x7dcd17433742f4c0ca53122ab541d0ba67fc27df\",\"nonce\":\"0x0\",\"balance\":\"0x76\",\"storageHash\":\"$storage_hash\"" \
    "$(cut -d, -f1-4 <<<"$out")"
  check "hive proof slot 0" \
    '"storage":[{"key":"0x0000000000000000000000000000000000000000000000000000000000000000","value":"0x38"}]}' \
    "$(grep -oE '"storage":.*' <<<"$out")"
  # The same answer claiming another storage value must fail.
  sed 's/"value":"0x38"/"value":"0x39"/' "$stdin" >"$scratch/tampered"
  run_err "hive proof wrong value" verify-proof "$scratch/tampered" "claimed value" -- verify-proof --state-root "$state_root"

  # Goerli SystemConfig: verifies against stateRoot, fails against wrongStateRoot.
  g=$vectors/proofs/optimism/goerli-systemconfig-proof.json
  tr -d ' \n' <"$g" | sed -E 's/.*"result":(\{.*\})\}$/\1/' >"$stdin"
  good_root=$(grep -oE '"stateRoot": *"0x[0-9a-f]{64}"' "$g" | grep -oE '0x[0-9a-f]{64}')
  wrong_root=$(grep -oE '"wrongStateRoot": *"0x[0-9a-f]{64}"' "$g" | grep -oE '0x[0-9a-f]{64}')
  want_value=$(grep -oE '"value": *"0x[0-9a-f]*"' "$g" | grep -oE '0x[0-9a-f]*')
  out=$("$vigil" eth verify-proof --state-root "$good_root" <"$stdin") || bad "goerli proof: exit $?"
  check "goerli proof value" "\"value\":\"$want_value\"}]}" "$(grep -oE '"value":.*' <<<"$out")"
  run_err "goerli wrong root" verify-proof "$stdin" "node 0: hash mismatch" -- verify-proof --state-root "$wrong_root"
  # Flip one hex digit inside the third account-proof node: node 2 no longer hashes.
  node2=$(grep -oE '"accountProof":\["0x[0-9a-f]*","0x[0-9a-f]*","0x[0-9a-f]*"' "$stdin" | cut -d'"' -f8)
  flipped=${node2:0:100}$( [ "${node2:100:1}" = 0 ] && echo 1 || echo 0)${node2:101}
  sed "s/$node2/$flipped/" "$stdin" >"$scratch/tampered"
  run_err "goerli tampered node" verify-proof "$scratch/tampered" "node 2: hash mismatch" -- verify-proof --state-root "$good_root"
fi

echo "cli rlp_trie: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
