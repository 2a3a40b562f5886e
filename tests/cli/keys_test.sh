#!/usr/bin/env bash
# CLI tests of `vigil keys new | address`: file mode and no-overwrite, geth's layout and
# parameters, addresses of published keystores (tests/vectors/keystore), verification by
# decryption, and no password in any output. Needs jq (under CI=true a missing jq fails).
# Usage: keys_test.sh PATH_TO_VIGIL
set -euo pipefail
vigil=${1:?usage: keys_test.sh PATH_TO_VIGIL}
here=$(cd "$(dirname "$0")" && pwd)
vectors=$here/../vectors/keystore

if ! command -v jq >/dev/null; then
  if [ "${CI:-}" = true ]; then
    echo "cli keys: jq not installed (failure under CI=true)" >&2
    exit 1
  fi
  echo "cli keys: skipped: jq not installed"
  exit 0
fi

passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() { # check NAME CONDITION-RESULT(0/1) DETAIL
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else
    failed=$((failed + 1))
    echo "FAIL $1: $3" >&2
  fi
}
# run CMD...: sets $rc, $out, $err.
run() {
  rc=0
  "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
  out=$(cat "$tmp/out")
  err=$(cat "$tmp/err")
}
is() { [ "$1" = "$2" ] && echo 0 || echo 1; }
has() { [[ $1 == *"$2"* ]] && echo 0 || echo 1; }
lacks() { [[ $1 != *"$2"* ]] && echo 0 || echo 1; }

password='Tr0ub4dor&3-cli'
printf '%s\n' "$password" >"$tmp/pw"

# --- keys new --light ---------------------------------------------------------------
run "$vigil" keys new --out "$tmp/light.json" --password-file "$tmp/pw" --light
check "new: exit 0, one address line" "$( [[ $rc -eq 0 && $out =~ ^0x[0-9a-fA-F]{40}$ && -z $err ]] && echo 0 || echo 1)" \
  "rc=$rc out='$out' err='$err'"
address=$out
check "new: mode 0600" "$(is "$(stat -c %a "$tmp/light.json")" 600)" "$(stat -c %a "$tmp/light.json")"
check "new: geth layout" "$(is "$(jq -c '[.version, (.crypto | keys_unsorted), (.crypto.kdfparams | del(.salt))]' "$tmp/light.json")" \
  '[3,["cipher","ciphertext","cipherparams","kdf","kdfparams","mac"],{"dklen":32,"n":4096,"p":6,"r":8}]')" \
  "$(cat "$tmp/light.json")"
lower=${address,,}
check "new: address field lowercase, no 0x" "$(is "$(jq -r .address "$tmp/light.json")" "${lower#0x}")" \
  "field $(jq -r .address "$tmp/light.json") printed $address"
check "new: no password in file or output" "$(lacks "$(cat "$tmp/light.json")$out$err" "$password")" "leak"

before=$(sha256sum <"$tmp/light.json")
run "$vigil" keys new --out "$tmp/light.json" --password-file "$tmp/pw" --light
check "new: refuses to overwrite" "$( [[ $rc -eq 1 && -z $out && $err == *"already exists"* && $(sha256sum <"$tmp/light.json") == "$before" ]] && echo 0 || echo 1)" \
  "rc=$rc err='$err'"

# --- keys new with geth's standard parameters ---------------------------------------
run "$vigil" keys new --out "$tmp/standard.json" --password-file "$tmp/pw"
check "new: standard scrypt" "$( [[ $rc -eq 0 && $(jq -c '.crypto.kdfparams | del(.salt)' "$tmp/standard.json") == '{"dklen":32,"n":262144,"p":1,"r":8}' ]] && echo 0 || echo 1)" \
  "rc=$rc err='$err'"
standard_address=$out
run "$vigil" keys address "$tmp/standard.json" --password-file "$tmp/pw"
check "address: standard keystore decrypts" "$(is "$out" "$standard_address")" "rc=$rc out='$out' err='$err'"

: >"$tmp/empty-pw"
run "$vigil" keys new --out "$tmp/empty.json" --password-file "$tmp/empty-pw" --light
check "new: refuses an empty password" "$( [[ $rc -eq 1 && $err == *"empty password"* && ! -e $tmp/empty.json ]] && echo 0 || echo 1)" \
  "rc=$rc err='$err'"
run "$vigil" keys new --out "$tmp/none.json" --light </dev/null
check "new: no password file and no terminal" "$( [[ $rc -eq 1 && $err == *"password"* && ! -e $tmp/none.json ]] && echo 0 || echo 1)" \
  "rc=$rc err='$err'"
run "$vigil" keys new --password-file "$tmp/pw"
check "new: --out required" "$( [[ $rc -eq 1 && $err == *"usage: vigil keys new"* ]] && echo 0 || echo 1)" "rc=$rc"
run "$vigil" keys new --out "$tmp/missing-dir/k.json" --password-file "$tmp/pw" --light
check "new: missing directory" "$( [[ $rc -eq 1 && $err == *"cannot create"* ]] && echo 0 || echo 1)" "rc=$rc err='$err'"

# --- keys address -------------------------------------------------------------------
run "$vigil" keys address "$tmp/light.json"
check "address: from the field" "$(is "$out" "$address")" "rc=$rc out='$out' err='$err'"
run "$vigil" keys address "$tmp/light.json" --password-file "$tmp/pw"
check "address: verified by decrypting" "$(is "$out" "$address")" "rc=$rc out='$out' err='$err'"

printf 'wrong-%s\n' "$password" >"$tmp/bad-pw"
run "$vigil" keys address "$tmp/light.json" --password-file "$tmp/bad-pw"
check "address: wrong password" "$( [[ $rc -eq 1 && -z $out && $err == *"wrong password"* ]] && echo 0 || echo 1)" "rc=$rc err='$err'"
check "address: no password in the error" "$(lacks "$err" "$password")" "$err"

jq '.address = "45dea0fb0bba44f4fcf290bba71fd57d7117cbb8"' "$tmp/light.json" >"$tmp/swapped.json"
run "$vigil" keys address "$tmp/swapped.json" --password-file "$tmp/pw"
check "address: field does not match the key" "$( [[ $rc -eq 1 && $err == *"address field"* ]] && echo 0 || echo 1)" "rc=$rc err='$err'"

# Published vectors (tests/vectors/keystore/README.md).
jq '.pbkdf2.json' "$vectors/web3-secret-storage.json" >"$tmp/pbkdf2.json"
printf 'testpassword\n' >"$tmp/testpassword"
run "$vigil" keys address "$tmp/pbkdf2.json" --password-file "$tmp/testpassword"
check "address: ethereum.org PBKDF2 vector" "$(is "$out" 0x008AeEda4D805471dF9b2A5B0f38A0C3bCBA786b)" "rc=$rc out='$out' err='$err'"
run "$vigil" keys address "$tmp/pbkdf2.json"
check "address: no field, no password" "$( [[ $rc -eq 1 && $err == *"no address field"* ]] && echo 0 || echo 1)" "rc=$rc err='$err'"
run "$vigil" keys address "$vectors/geth-very-light-scrypt.json"
check "address: geth vector's field" "$(is "${out,,}" 0x45dea0fb0bba44f4fcf290bba71fd57d7117cbb8)" "rc=$rc out='$out' err='$err'"

printf '{"version": 3}' >"$tmp/broken.json"
run "$vigil" keys address "$tmp/broken.json"
check "address: malformed keystore named" "$( [[ $rc -eq 1 && $err == *"broken.json"*"id: missing"* ]] && echo 0 || echo 1)" "rc=$rc err='$err'"

# --- help ---------------------------------------------------------------------------
for cmd in "keys --help" "keys new --help" "keys address --help"; do
  run "$vigil" $cmd
  check "$cmd" "$( [[ $rc -eq 0 && $out == usage:* ]] && echo 0 || echo 1)" "rc=$rc"
done
run "$vigil" keys
check "keys without command" "$( [[ $rc -eq 1 && $err == usage:* ]] && echo 0 || echo 1)" "rc=$rc"

echo "cli keys: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
