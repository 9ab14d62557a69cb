#!/usr/bin/env bash
# Builds the example filter in Rust, C, Python and JavaScript into
# target/examples/<language>.wasm, after installing whatever tool chain is
# missing at its pinned version (a second run installs nothing). Then checks
# that each component exports the sluice:filter@1.0.0 world and writes the
# interfaces it imports to target/examples/<language>.imports.txt.
#
# Python and JavaScript build through the SDKs' packages, which it also
# writes to target/sdk/: the sluice-filter wheel and sdist (into the venv
# too), and the sluice-filter npm tarball (installed into javascript/).
#
# Every install comes from Debian apt, PyPI or npm: CI runs this on a fresh
# machine that reaches only the package registries.
#
# Usage: plugins/examples/build.sh [rust|c|python|javascript ...]  (default: all)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
EXAMPLES=$ROOT/plugins/examples
OUT=$ROOT/target/examples
SDK_OUT=$ROOT/target/sdk

# Pinned tool versions. The npm ones (jco 1.35.0, componentize-js 0.22.0,
# preview2-shim 0.26.1) are pinned in guest-sdk/javascript/package.json and
# javascript/package-lock.json.
COMPONENTIZE_PY_VERSION=0.25.1
BUILD_VERSION=1.2.2
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
  if [ "$("$VENV/bin/componentize-py" --version 2>/dev/null)" != "componentize-py $COMPONENTIZE_PY_VERSION" ] ||
    ! "$VENV/bin/python" -c "import build" 2>/dev/null; then
    echo "installing componentize-py $COMPONENTIZE_PY_VERSION and build $BUILD_VERSION from PyPI"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --disable-pip-version-check -q "componentize-py==$COMPONENTIZE_PY_VERSION" "build==$BUILD_VERSION"
  fi
  # The SDK as its users get it: a wheel and an sdist, the wheel installed.
  mkdir -p "$SDK_OUT"
  rm -f "$SDK_OUT"/sluice_filter-*
  "$VENV/bin/python" -m build --outdir "$SDK_OUT" "$ROOT/guest-sdk/python" >"$SDK_OUT/python-build.log" 2>&1 ||
    { cat "$SDK_OUT/python-build.log" >&2; return 1; }
  "$VENV/bin/pip" install --disable-pip-version-check -q --force-reinstall --no-deps "$SDK_OUT"/sluice_filter-*.whl
}

install_npm() {
  # The SDK as its users get it: the package's tarball.
  mkdir -p "$SDK_OUT"
  (cd "$ROOT/guest-sdk/javascript" && npm pack --silent --pack-destination "$SDK_OUT" >/dev/null)
  # .npmrc's install-links copies the SDK in instead of linking to it, but
  # only when it is missing, and npm's tree breaks when one package of it is
  # removed and installed again: a changed SDK reinstalls everything.
  local installed=$NODE_DIR/node_modules/sluice-filter
  local file
  for file in package.json sluice-filter.js build.mjs preopen-root.mjs wit/filter.wit; do
    cmp -s "$ROOT/guest-sdk/javascript/$file" "$installed/$file" || rm -rf "$NODE_DIR/node_modules"
  done
  # `npm ls` fails when a pinned package is missing or at another version.
  (cd "$NODE_DIR" && npm ls --depth=0 >/dev/null 2>&1) && return 0
  echo "installing sluice-filter (with jco and componentize-js) from npm (package-lock.json)"
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
  node --import "$NODE_DIR/node_modules/sluice-filter/preopen-root.mjs" \
    "$NODE_DIR/node_modules/@bytecodealliance/jco/dist/jco.js" "$@"
}

build_rust() {
  (cd "$ROOT" && cargo build --quiet --profile wasm --target wasm32-wasip2 -p example-filter-rust)
  cp "$ROOT/target/wasm32-wasip2/wasm/example_filter_rust.wasm" "$OUT/rust.wasm"
}

build_c() {
  # The SDK's own build script, the one `sluice plugin new --lang c` copies.
  "$ROOT/guest-sdk/c/build.sh" "$OUT/c.wasm" "$EXAMPLES/c/filter.c"
}

build_python() {
  (cd "$EXAMPLES/python" && "$VENV/bin/python" -m sluice_filter build app -o "$OUT/python.wasm")
}

build_javascript() {
  (cd "$NODE_DIR" && npx --no-install sluice-filter-build filter.js -o "$OUT/javascript.wasm")
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
wants python && timed "install componentize-py, SDK" install_componentize_py
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
