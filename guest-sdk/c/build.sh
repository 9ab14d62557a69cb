#!/usr/bin/env bash
# Builds a Sluice filter written in C into a component, from stock tools:
#
#   build.sh OUT.wasm filter.c [more.c ...]
#
# Tools: Debian's `clang lld wasi-libc libclang-rt-dev-wasm32 libjsmn-dev`,
# and wasm-component-ld, the linker that turns wasm-ld's output into a
# component with the WASI preview 1 -> preview 2 adapter built in. rustup
# ships it with every toolchain (it links Rust's wasm32-wasip2 target);
# without Rust, `cargo install wasm-component-ld` or set WASM_COMPONENT_LD.
#
# The SDK (sluice_filter.h, sluice_filter.c, generated/) is beside this
# script, or in sluice/ beside it (as `sluice plugin new` lays it out).
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 OUT.wasm filter.c [more.c ...]" >&2
  exit 2
fi
OUTPUT=$1
shift

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SDK=$HERE
[ -f "$SDK/sluice_filter.h" ] || SDK=$HERE/sluice

LINKER=${WASM_COMPONENT_LD:-$(command -v wasm-component-ld || true)}
if [ -z "$LINKER" ] && command -v rustc >/dev/null; then
  LINKER=$(ls "$(rustc --print sysroot)"/lib/rustlib/*/bin/wasm-component-ld 2>/dev/null | head -n 1)
fi
if [ -z "$LINKER" ]; then
  echo "wasm-component-ld not found: install Rust (rustup) or run \`cargo install wasm-component-ld\`," >&2
  echo "or set WASM_COMPONENT_LD" >&2
  exit 1
fi

# Debian's clang 14 and wasi-libc target WASI preview 1 (`wasm32-wasi`);
# wasm-component-ld links the reactor (a library, no main) and wraps it in a
# component. generated/filter_component_type.o carries the WIT world into
# the module, which is how the linker knows what it exports.
clang --target=wasm32-wasi -O2 -mexec-model=reactor -Wall -Wextra -Werror -s \
  -fuse-ld="$LINKER" -Wl,--wasi-adapter=reactor \
  -I "$SDK" -I "$SDK/generated" -o "$OUTPUT" \
  "$@" "$SDK/sluice_filter.c" "$SDK/generated/filter.c" "$SDK/generated/filter_component_type.o"
