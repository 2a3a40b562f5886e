#!/usr/bin/env bash
# build/vigil-devnet end to end, as a newcomer or another tool uses it: `up` writes a
# devnet.json with the documented fields and a vigil.yaml that `vigil config check`
# accepts; `propose` (valid and --invalid) posts games that `vigil verify check` judges
# the same way; `withdraw` and `reorg` work; `vigil status` sees the three chains; the
# devnet stops on SIGTERM.
set -euo pipefail
vigil=${1:?usage: devnet_cli_test.sh PATH_TO_VIGIL}
devnet=$(dirname "$vigil")/vigil-devnet
tmp=$(mktemp -d)
up_pid=
cleanup() {
  [[ -n $up_pid ]] && kill "$up_pid" 2>/dev/null && wait "$up_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

"$devnet" up --dir "$tmp" --block-time 1 >"$tmp/up.log" 2>&1 &
up_pid=$!
for _ in $(seq 1 120); do [[ -f $tmp/devnet.json ]] && break; sleep 0.5; done
[[ -f $tmp/devnet.json ]] || { cat "$tmp/up.log" >&2; echo "FAIL: no devnet.json" >&2; exit 1; }

# The documented shape of devnet.json.
j=$tmp/devnet.json
for q in '.l1.chain_id|numbers' '.l1.rpc|strings|select(startswith("http://"))' \
  '.l1.ws|strings|select(startswith("ws://"))' '.keys.relayer' '.keys.challenger' \
  '.keys.proposer' '.keys.user'; do
  [[ -n $(jq -r "$q // empty" "$j") ]] && ok || bad "devnet.json: $q missing"
done
[[ $(jq '.l2s|length' "$j") == 2 ]] && ok || bad "devnet.json: expected two L2s"
for f in name chain_id rpc ws message_passer l1_contracts.dispute_game_factory \
  l1_contracts.optimism_portal; do
  [[ $(jq -r "[.l2s[].$f // empty]|length" "$j") == 2 ]] && ok || bad "devnet.json: l2s[].$f missing"
done
[[ $(jq -r '.keys.challenger' "$j") =~ ^0x[0-9a-f]{64}$ ]] && ok || bad "keys are not 0x private keys"
[[ $(jq -r '.l2s[0].message_passer' "$j") == 0x4200000000000000000000000000000000000016 ]] && ok ||
  bad "message passer is not the predeploy"

# The generated config is valid.
out=$("$vigil" config check --config "$tmp/vigil.yaml" 2>&1) && ok || bad "config check: $out"

# Proposals: vigil verify check agrees with what the devnet says it posted.
valid=$("$devnet" propose --dir "$tmp" --l2 op-a) && ok || bad "propose failed"
invalid=$("$devnet" propose --dir "$tmp" --l2 op-a --invalid) && ok || bad "propose --invalid failed"
[[ $(jq -r .valid <<<"$valid") == true && $(jq -r .valid <<<"$invalid") == false ]] && ok ||
  bad "propose output: $valid / $invalid"
sleep 3  # settle under the config's confirmations
for p in "$valid" "$invalid"; do
  block=$(jq -r .l2_block <<<"$p")
  claim=$(jq -r .root_claim <<<"$p")
  want=0
  [[ $(jq -r .valid <<<"$p") == false ]] && want=3
  set +e
  out=$("$vigil" verify check --config "$tmp/vigil.yaml" --rollup op-a --l2-block "$block" \
    --claim "$claim" --json 2>&1)
  rc=$?
  set -e
  [[ $rc == "$want" ]] && ok || bad "verify check of $p: exit $rc, want $want: $out"
done

# Withdrawals and a reorg.
n=$("$devnet" withdraw --dir "$tmp" --l2 op-b --count 3 --data-size 100 | jq -s 'length') &&
  [[ $n == 3 ]] && ok || bad "withdraw --count 3 printed $n withdrawals"
r=$("$devnet" reorg --dir "$tmp" --chain l1 --depth 2) &&
  [[ $(jq -r '.old_hash != .new_hash' <<<"$r") == true ]] && ok || bad "reorg: $r"

# vigil status sees every chain.
st=$("$vigil" status --config "$tmp/vigil.yaml" --json 2>&1) &&
  [[ $(jq '[.chains[]|select(.head != null)]|length' <<<"$st") == 3 ]] && ok || bad "status: $st"

# SIGTERM stops the devnet (and its Anvil processes).
rpc=$(jq -r .l1.rpc "$j")
hostport=${rpc#http://}
rpc_host=${hostport%:*} rpc_port=${hostport##*:}
kill "$up_pid"
wait "$up_pid" 2>/dev/null || true
up_pid=
sleep 1
if _=$(bash -c "exec 3<>/dev/tcp/${rpc_host}/${rpc_port}" 2>&1); then
  bad "L1 still listening after SIGTERM"
else ok; fi

echo "devnet_cli_test: $passed passed, $failed failed"
[[ $failed == 0 ]]
