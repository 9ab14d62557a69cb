// Preloaded (`node --import`) before jco and componentize-js. Both run
// wasm-tools and their splicer as WebAssembly on @bytecodealliance/preview2-shim,
// which since 0.24 gives a guest no directories unless the embedder adds them,
// and neither tool adds any: without this, every build fails with
// "failed to get path metadata: No such file or directory (os error 44)".
import { _setPreopens } from "@bytecodealliance/preview2-shim/filesystem";

_setPreopens({ "/": "/" });
