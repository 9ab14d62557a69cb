// Preloaded (`node --import`) before jco and componentize-js. Both run
// wasm-tools and their splicer as WebAssembly on @bytecodealliance/preview2-shim,
// which since 0.24 gives a guest no directories unless the embedder adds them,
// and neither tool adds any: without this, every build fails with
// "failed to get path metadata: No such file or directory (os error 44)".
//
// npm may give jco, jco-transpile and componentize-js each their own copy of
// the shim, so every copy they resolve gets the root directory.
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

function resolveFrom(parent, specifier) {
  try {
    return createRequire(parent).resolve(specifier);
  } catch {
    return null;
  }
}

const jco = resolveFrom(import.meta.url, "@bytecodealliance/jco");
const tools = [jco];
for (const tool of ["@bytecodealliance/jco-transpile", "@bytecodealliance/componentize-js"]) {
  tools.push(resolveFrom(import.meta.url, tool), jco && resolveFrom(jco, tool));
}
const shims = new Set(
  tools.filter(Boolean).map((tool) => resolveFrom(tool, "@bytecodealliance/preview2-shim/filesystem")),
);
shims.delete(null);
for (const shim of shims) {
  const { _setPreopens } = await import(pathToFileURL(shim).href);
  _setPreopens({ "/": "/" });
}
