#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for FUZZ_SECONDS each, seeded from
# tests/fuzz/corpus/<target>/ (copied to a scratch dir so the repo stays clean).
# Exits non-zero on the first crash, leak or timeout; the reproducer is kept in
# $FUZZ_ARTIFACTS (default build-fuzz/artifacts).
set -euo pipefail
build_dir=${1:?usage: run.sh BUILD_DIR}
seconds=${FUZZ_SECONDS:-10}
here=$(cd "$(dirname "$0")" && pwd)
artifacts=${FUZZ_ARTIFACTS:-$build_dir/artifacts}
mkdir -p "$artifacts"
shopt -s nullglob
targets=("$build_dir"/*_fuzz)
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz: no targets built in $build_dir" >&2
  exit 1
fi
for target in "${targets[@]}"; do
  name=$(basename "$target")
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  if [ -d "$here/corpus/$name" ]; then cp -r "$here/corpus/$name/." "$scratch/"; fi
  echo "fuzz: $name for ${seconds}s ($(ls "$scratch" | wc -l) seeds)"
  "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
    -artifact_prefix="$artifacts/$name-" "$scratch" 2>"$artifacts/$name.log" || {
    echo "fuzz: $name FAILED; last lines of $artifacts/$name.log:" >&2
    tail -40 "$artifacts/$name.log" >&2
    exit 1
  }
  grep -E '^(#[0-9]+.*DONE|Done)' "$artifacts/$name.log" | tail -1 || true
  rm -rf "$scratch"
  trap - EXIT
done
echo "fuzz: all ${#targets[@]} targets clean"
