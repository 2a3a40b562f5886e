#!/usr/bin/env bash
# vigil config check: accepts a valid file, rejects bad ones with the file position.
set -euo pipefail
vigil=${1:?usage: config_test.sh PATH_TO_VIGIL}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

cat > "$tmp/good.yaml" <<'YAML'
store: {path: store}
chains:
  - {name: l1, chain_id: 31337, rpc: "http://127.0.0.1:8545", confirmations: 2}
YAML
if out=$("$vigil" config check --config "$tmp/good.yaml" 2>&1) && [[ $out == *"ok (1 chains"* ]]; then ok; else bad "good config: $out"; fi
if out=$(VIGIL_CONFIG="$tmp/good.yaml" "$vigil" config check 2>&1); then ok; else bad "VIGIL_CONFIG: $out"; fi

cat > "$tmp/bad.yaml" <<'YAML'
store: {path: store}
chains:
  - name: l1
    chain_id: 31337
    rpc: "http://127.0.0.1:8545"
    confirmation: 2
YAML
set +e
out=$("$vigil" config check --config "$tmp/bad.yaml" 2>"$tmp/err"); rc=$?
set -e
err=$(cat "$tmp/err")
if [[ $rc -eq 1 && -z $out && $err == *"bad.yaml:6:5: chains[0].confirmation: unknown key"* && $(wc -l <"$tmp/err") -eq 1 ]]; then ok; else bad "bad config: rc=$rc err=$err"; fi

set +e
"$vigil" config check --config "$tmp/missing.yaml" 2>"$tmp/err"; rc=$?
set -e
if [[ $rc -eq 1 && $(cat "$tmp/err") == *"missing.yaml: cannot read"* ]]; then ok; else bad "missing file: rc=$rc"; fi

set +e
env -u VIGIL_CONFIG "$vigil" config check 2>"$tmp/err"; rc=$?
set -e
if [[ $rc -eq 1 && $(cat "$tmp/err") == *"no config given"* ]]; then ok; else bad "no config: rc=$rc"; fi

echo "cli config: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
