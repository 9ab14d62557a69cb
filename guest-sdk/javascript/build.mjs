#!/usr/bin/env node
// sluice-filter-build FILTER.js -o FILTER.wasm: builds a filter module into a
// component with jco componentize, against the interface this package
// carries, with the options the Sluice host needs, so the author names
// neither the WIT world nor a workaround.
//
// - `--bundle` inlines the modules the filter imports (this SDK) into one.
// - `--disable http fetch-event` keeps `wasi:http` out of the imports: the
//   host does not link it, and a component that imports it does not load.
// - preopen-root.mjs is preloaded because jco runs wasm-tools as WebAssembly
//   on preview2-shim, which since 0.24 grants a guest no directory unless
//   the embedder does, and jco does not: without it every build fails with
//   "failed to get path metadata".
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

function usage(message) {
  console.error(`${message}\nusage: sluice-filter-build FILTER.js -o FILTER.wasm`);
  process.exit(2);
}

const args = process.argv.slice(2);
const out = args.indexOf("-o");
if (out < 0 || out + 1 >= args.length) usage("missing -o FILTER.wasm");
const output = args[out + 1];
const inputs = args.filter((_, i) => i !== out && i !== out + 1);
if (inputs.length !== 1) usage("name one filter module");

// The package exports its API (dist/api.js); the command line sits beside it.
const jco = join(dirname(require.resolve("@bytecodealliance/jco")), "jco.js");
const result = spawnSync(
  process.execPath,
  [
    "--import",
    join(here, "preopen-root.mjs"),
    jco,
    "componentize",
    inputs[0],
    "--bundle",
    "--disable",
    "http",
    "fetch-event",
    "--wit",
    join(here, "wit"),
    "--world-name",
    "filter",
    "-o",
    output,
  ],
  { stdio: ["ignore", "ignore", "inherit"] },
);
process.exit(result.status ?? 1);
