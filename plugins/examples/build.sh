#!/usr/bin/env bash
# Builds the example filter in Rust, C, Python and JavaScript into
# target/examples/<language>.wasm, after installing whatever tool chain is
# missing at its pinned version (a second run installs nothing). Then checks
# that each component exports the sluice:filter@1.0.0 world and writes the
# interfaces it imports to target/examples/<language>.imports.txt.
#
# Every install comes from Debian apt, PyPI or npm: CI runs this on a fresh
# machine that reaches only the package registries.
#
# Usage: plugins/examples/build.sh [rust|c|python|javascript ...]  (default: all)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
EXAMPLES=$ROOT/plugins/examples
OUT=$ROOT/target/examples
WIT=$ROOT/guest-sdk/wit

# Pinned tool versions. The npm ones (jco 1.35.0, componentize-js 0.22.0,
# preview2-shim 0.26.1) are pinned in javascript/package.json and its lock file.
COMPONENTIZE_PY_VERSION=0.25.1
APT_PACKAGES=(clang lld wasi-libc libclang-rt-dev-wasm32 libjsmn-dev)
VENV=$OUT/venv
NODE_DIR=$EXAMPLES/javascript

LANGUAGES=("$@")
[ ${#LANGUAGES[@]} -gt 0 ] || LANGUAGES=(rust c python javascript)

mkdir -p "$OUT"
TIMINGS=$OUT/timings.txt
: >"$TIMINGS"

# Runs a step and records its wall time, so the report can say what was slow.
timed() {
  local label=$1
  shift
  local start=$EPOCHREALTIME
  "$@"
  local end=$EPOCHREALTIME
  local ms=$(((${end/./} - ${start/./}) / 1000))
  printf '%-26s %7d ms\n' "$label" "$ms" | tee -a "$TIMINGS"
}

wants() {
  local language
  for language in "${LANGUAGES[@]}"; do [ "$language" = "$1" ] && return 0; done
  return 1
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

install_apt() {
  local missing=()
  local package
  for package in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing from apt: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

install_componentize_py() {
  if [ "$("$VENV/bin/componentize-py" --version 2>/dev/null)" = "componentize-py $COMPONENTIZE_PY_VERSION" ]; then
    return 0
  fi
  echo "installing componentize-py $COMPONENTIZE_PY_VERSION from PyPI"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --disable-pip-version-check -q "componentize-py==$COMPONENTIZE_PY_VERSION"
}

install_npm() {
  # `npm ls` fails when a pinned package is missing or at another version.
  (cd "$NODE_DIR" && npm ls --depth=0 >/dev/null 2>&1) && return 0
  echo "installing jco and componentize-js from npm (package-lock.json)"
  # Not `npm ci`: the lock leaves out optional binaries for other platforms
  # that the registry here does not serve, and `npm ci` refuses such a lock.
  # `npm install` installs exactly the locked versions and keeps the lock.
  (cd "$NODE_DIR" && npm install --no-audit --no-fund --loglevel=error)
}

install_rust_target() {
  rustup target list --installed | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
}

# jco runs wasm-tools as WebAssembly; preopen-root.mjs gives it the file system.
jco() {
  node --import "$NODE_DIR/preopen-root.mjs" "$NODE_DIR/node_modules/@bytecodealliance/jco/dist/jco.js" "$@"
}

build_rust() {
  (cd "$ROOT" && cargo build --quiet --profile wasm --target wasm32-wasip2 -p example-filter-rust)
  cp "$ROOT/target/wasm32-wasip2/wasm/example_filter_rust.wasm" "$OUT/rust.wasm"
}

build_c() {
  # A WASI preview1 reactor module (Debian's wasi-libc has no preview2
  # target), then the reactor adapter bundled with jco turns it into a
  # component. The bindings' filter_component_type.o carries the WIT world.
  clang --target=wasm32-wasi -O2 -mexec-model=reactor -Wall -Wextra -Werror -s \
    -I "$ROOT/guest-sdk/c" -I "$ROOT/guest-sdk/c/generated" \
    -o "$OUT/c.core.wasm" \
    "$EXAMPLES/c/filter.c" "$ROOT/guest-sdk/c/sluice_filter.c" \
    "$ROOT/guest-sdk/c/generated/filter.c" "$ROOT/guest-sdk/c/generated/filter_component_type.o"
  jco new "$OUT/c.core.wasm" --wasi-reactor -o "$OUT/c.wasm" >/dev/null
}

build_python() {
  "$VENV/bin/componentize-py" -d "$WIT" -w filter componentize \
    -p "$ROOT/guest-sdk/python" -p "$EXAMPLES/python" app -o "$OUT/python.wasm" >/dev/null
}

build_javascript() {
  # http and fetch-event would import wasi:http, which the Sluice host does
  # not link.
  jco componentize "$EXAMPLES/javascript/filter.js" --bundle --disable http fetch-event \
    --wit "$WIT" --world-name filter -o "$OUT/javascript.wasm" >/dev/null
}

# Fails unless the component exports the filter world; records its imports.
verify() {
  local language=$1
  local wit
  wit=$(jco wit "$OUT/$language.wasm")
  local expected
  for expected in \
    "import sluice:filter/types@1.0.0;" \
    "export init: func(config: string) -> result<_, string>;" \
    "export process: func(batch: list<list<u8>>) -> list<outcome>;"; do
    if ! grep -qF "$expected" <<<"$wit"; then
      echo "$language.wasm does not have: $expected" >&2
      return 1
    fi
  done
  grep -oE '^  import [^;]+' <<<"$wit" | sed 's/^  import //' | grep -v '^sluice:' >"$OUT/$language.imports.txt"
}

wants rust && timed "install rust target" install_rust_target
wants c && timed "install apt packages" install_apt
wants python && timed "install componentize-py" install_componentize_py
# jco verifies every component, so it is installed whatever the languages.
timed "install jco (npm)" install_npm

for language in "${LANGUAGES[@]}"; do
  timed "build $language" "build_$language"
done
for language in "${LANGUAGES[@]}"; do
  verify "$language"
done

echo
printf '%-12s %12s  %s\n' component bytes "WASI imports (besides sluice:filter/types)"
for language in "${LANGUAGES[@]}"; do
  printf '%-12s %12d  %d: %s\n' "$language.wasm" "$(stat -c %s "$OUT/$language.wasm")" \
    "$(wc -l <"$OUT/$language.imports.txt")" "$(paste -sd' ' "$OUT/$language.imports.txt")"
done
