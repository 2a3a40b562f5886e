#!/usr/bin/env bash
# The Dockerfile stays consistent with what it packages (no docker needed): its build
# packages are Makefile DEB_PACKAGES, its runtime packages provide every library
# build/vigil links, every package exists in Debian, and the image's uid and port are
# the chart's.
set -euo pipefail
vigil=${1:?usage: dockerfile_test.sh PATH_TO_VIGIL}
root=$(cd "$(dirname "$0")/../.." && pwd)
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

# Files with their backslash continuations joined.
joined() { sed -e ':a' -e '/\\$/N; s/\\\n/ /; ta' "$1"; }
dockerfile=$(joined "$root/Dockerfile")
makefile=$(joined "$root/Makefile")

# The packages of the `apt-get install` in Dockerfile stage $1 (1 = build, 2 = runtime).
stage_packages() {
  awk -v want="$1" '/^FROM /{n++} n == want && /apt-get install/' <<<"$dockerfile" |
    sed -E 's/.*--no-install-recommends//; s/&&.*//' | tr -s ' \t' '\n' | grep -v '^$' | sort -u
}
build_pkgs=$(stage_packages 1)
runtime_pkgs=$(stage_packages 2)
make_pkgs=$(grep -E '^DEB_PACKAGES[[:space:]]*:=' <<<"$makefile" | sed -E 's/^[^=]*=//' | tr -s ' \t' '\n' | grep -v '^$' | sort -u)
[[ -n $build_pkgs && -n $runtime_pkgs && -n $make_pkgs ]] && ok || bad "could not read the package lists"

# 1. Build packages are the Makefile's (one dependency list, not two).
extra=$(comm -23 <(echo "$build_pkgs") <(echo "$make_pkgs"))
[[ -z $extra ]] && ok || bad "Dockerfile build stage installs packages missing from DEB_PACKAGES: $extra"

# 2. Every library build/vigil needs comes from a runtime package or the base image.
# (One dpkg and one apt-cache call: each loads its whole database, seconds apiece.)
base_image="libc6 libgcc-s1 libstdc++6 zlib1g" # in debian:bookworm-slim (apt needs them)
needed=$(readelf -d "$vigil" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[[ -n $needed ]] && ok || bad "readelf found no NEEDED libraries in $vigil"
declare -A owner=()
paths=()
for lib in $needed; do
  path=$(ldd "$vigil" | awk -v l="$lib" '$1 == l && $2 == "=>" {print $3}')
  [[ -n $path ]] || { bad "$lib (needed by vigil) is not found by the loader"; continue; }
  paths+=("$path")
  [[ $path == /lib/* ]] && paths+=("/usr$path") # merged /usr: dpkg knows one of the two
done
while IFS= read -r line; do # "pkg:arch: /path"
  owner[$(basename "${line##*: }")]=${line%%:*}
done < <(dpkg -S "${paths[@]}" 2>/dev/null || true)
for lib in $needed; do
  pkg=${owner[$lib]:-}
  if [[ -z $pkg ]]; then
    bad "$lib (needed by vigil) belongs to no Debian package"
  elif grep -qxF "$pkg" <<<"$runtime_pkgs" || [[ " $base_image " == *" $pkg "* ]]; then
    ok
  else
    bad "vigil needs $lib from $pkg, which the Dockerfile's runtime stage does not install"
  fi
done

# 3. Every package named exists in Debian (a typo would only show in docker build).
known=$(apt-cache show --no-all-versions $build_pkgs $runtime_pkgs 2>/dev/null | sed -n 's/^Package: //p' | sort -u)
for pkg in $build_pkgs $runtime_pkgs; do
  grep -qxF "$pkg" <<<"$known" && ok || bad "no Debian package $pkg"
done

# 4. The build is `make build`'s configuration; the runtime runs vigil as the chart's user.
cmake_rule=$(grep -E '^\s*cmake -S \. -B \$\(BUILD\) ' <<<"$makefile" | head -1)
[[ $cmake_rule == *"-DCMAKE_BUILD_TYPE=Release"* && $dockerfile == *"cmake -S . -B build -DCMAKE_BUILD_TYPE=Release"* ]] &&
  ok || bad "the Dockerfile does not configure like make build (Release)"
values=$root/charts/vigil/values.yaml
uid=$(sed -n 's/^  runAsUser: \([0-9]*\)$/\1/p' "$values")
gid=$(sed -n 's/^  runAsGroup: \([0-9]*\)$/\1/p' "$values")
port=$(awk '/^metrics:/{m=1} m && /^  port:/{print $2; exit}' "$values")
[[ -n $uid && $uid != 0 && $dockerfile == *$'\n'"USER $uid:$gid"$'\n'* ]] && ok ||
  bad "the image's USER is not the chart's runAsUser:runAsGroup ($uid:$gid)"
[[ -n $port && $dockerfile == *$'\n'"EXPOSE $port"$'\n'* ]] && ok || bad "EXPOSE is not the chart's metrics.port ($port)"
[[ $dockerfile == *$'\n''ENTRYPOINT ["vigil"]'$'\n'* && $dockerfile == *"COPY --from=build /src/build/vigil /usr/local/bin/vigil"* ]] &&
  ok || bad "the runtime stage does not run the built vigil"

echo "cli dockerfile: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
