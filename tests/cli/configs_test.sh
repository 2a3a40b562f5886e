#!/usr/bin/env bash
# The example configs in configs/ pass `vigil config check` (which also checks each
# address's EIP-55 checksum), a corrupted address in them is caught, and the chart's
# default rollups use the same factory addresses as the mainnet example.
set -euo pipefail
vigil=${1:?usage: configs_test.sh PATH_TO_VIGIL}
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

examples=("$root"/configs/*.yaml)
[[ ${#examples[@]} -ge 2 && -f ${examples[0]} ]] && ok || bad "fewer than two example configs in configs/"
for f in "${examples[@]}"; do
  if out=$("$vigil" config check --config "$f" 2>&1) && [[ $out == *": ok ("*" chains"* ]]; then ok; else bad "$f: $out"; fi
  grep -q 'dispute_game_factory' "$f" && ok || bad "$f: no rollup to verify"
done

# One wrong letter case in a factory address breaks its checksum: the check must say so.
mainnet=$root/configs/mainnet-op-base.yaml
sed 's/0xe5965Ab5962eDc7477C8520243A95517CD252fA9/0xe5965ab5962eDc7477C8520243A95517CD252fA9/' "$mainnet" >"$tmp/typo.yaml"
if ! cmp -s "$mainnet" "$tmp/typo.yaml" && ! out=$("$vigil" config check --config "$tmp/typo.yaml" 2>&1) &&
  [[ $out == *"dispute_game_factory"*"bad EIP-55 checksum"* ]]; then ok; else bad "corrupted address accepted: $out"; fi

# The mainnet example relays from both L2s, each route gated by a rollup: a route whose
# portal loses its checksum, or that names no rollup, is refused.
[[ $(grep -c 'optimism_portal:' "$mainnet") == 2 ]] && ok || bad "$mainnet: expected two relayer routes"
sed 's/0x49048044D57e1C92A77f79988d21Fa8fAF74E97e/0x49048044d57e1C92A77f79988d21Fa8fAF74E97e/' "$mainnet" >"$tmp/portal.yaml"
if ! cmp -s "$mainnet" "$tmp/portal.yaml" && ! out=$("$vigil" config check --config "$tmp/portal.yaml" 2>&1) &&
  [[ $out == *"optimism_portal"*"checksum"* ]]; then ok; else bad "corrupted portal accepted: $out"; fi
sed '/^      rollup: base$/d' "$mainnet" >"$tmp/ungated.yaml"
if ! out=$("$vigil" config check --config "$tmp/ungated.yaml" 2>&1) && [[ $out == *"rollup"* ]]; then ok; else
  bad "a route without a rollup gate accepted: $out"
fi

# The chart's default config watches the same contracts as the mainnet example.
for addr in $(sed -n 's/.*dispute_game_factory: "\(0x[0-9a-fA-F]*\)".*/\1/p' "$root/charts/vigil/values.yaml"); do
  grep -qF "\"$addr\"" "$mainnet" && ok || bad "charts/vigil/values.yaml factory $addr is not in $mainnet"
done

echo "cli configs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
