// Runs the four example components (from build.sh) on every tweet in data/
// and checks that C, Python and JavaScript decide exactly what Rust decides:
// the same outcome for every record, the same reject reasons, and replaced
// documents equal as parsed JSON with the counts written as integers.
//
// No Sluice host is needed: `jco transpile` turns each component into a
// JavaScript module run by Node with jco's WASI shim. The conformance test
// against the real host lives in the Sluice test suite.
//
// Usage: node plugins/examples/check.mjs   (after plugins/examples/build.sh)
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isDeepStrictEqual } from "node:util";
import v8 from "node:v8";

// The WASI adapter in the C component uses extended constant expressions,
// which Node 20 (the machine's Node) compiles only behind this flag.
if (Number(process.versions.node.split(".")[0]) < 22) {
  v8.setFlagsFromString("--experimental-wasm-extended-const");
}

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const out = join(root, "target/examples");
const nodeDir = join(here, "javascript");
const languages = ["rust", "c", "python", "javascript"];
const BATCH = 200;

// The transpiled modules import jco's WASI shim by package name.
const modules = join(out, "node_modules");
if (!existsSync(modules)) symlinkSync(join(nodeDir, "node_modules"), modules, "dir");

async function load(language) {
  const dir = join(out, "transpiled", language);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync(
    "node",
    [
      "--import",
      join(nodeDir, "node_modules/sluice-filter/preopen-root.mjs"),
      join(nodeDir, "node_modules/@bytecodealliance/jco/dist/jco.js"),
      "transpile",
      join(out, `${language}.wasm`),
      "--name",
      language,
      "-o",
      dir,
      "--quiet",
    ],
    { stdio: "inherit" },
  );
  return import(pathToFileURL(join(dir, `${language}.js`)).href);
}

function tweets() {
  const data = join(root, "data");
  const records = [];
  for (const file of [
    "python-twitter-testdata.ndjson",
    "rtweet-fixtures.ndjson",
    "sfm-twitter-harvester-warcs.ndjson",
    "tweepy-cassettes.ndjson",
  ]) {
    for (const line of readFileSync(join(data, file), "utf8").split("\n")) {
      if (line.trim()) records.push(Buffer.from(line));
    }
  }
  // twitter.json is one envelope; its statuses are all Japanese or Chinese.
  for (const status of JSON.parse(readFileSync(join(data, "twitter.json"), "utf8")).statuses) {
    records.push(Buffer.from(JSON.stringify(status)));
  }
  // Records a host could hand over that the filter must reject.
  for (const odd of ["[1, 2]", '"text"', '{"lang": "en"}', '{"id_str": 5, "lang": "en"}']) {
    records.push(Buffer.from(odd));
  }
  return records;
}

function init(component, config) {
  try {
    component.init(config);
    return "ok";
  } catch (error) {
    return `err: ${error.payload ?? error.message}`;
  }
}

function run(component, records) {
  const outcomes = [];
  for (let i = 0; i < records.length; i += BATCH) {
    outcomes.push(...component.process(records.slice(i, i + BATCH)));
  }
  return outcomes;
}

const INTEGER_FIELDS = ["user_followers_count", "retweet_count", "favorite_count", "hashtag_count"];

// Why two outcomes differ, or null when they agree.
function difference(expected, actual) {
  if (expected.tag !== actual.tag) return `${actual.tag} instead of ${expected.tag}`;
  if (expected.tag === "reject" && expected.val !== actual.val) {
    return `reject reason ${JSON.stringify(actual.val)} instead of ${JSON.stringify(expected.val)}`;
  }
  if (expected.tag !== "replace") return null;
  const text = Buffer.from(actual.val).toString("utf8");
  const doc = JSON.parse(text);
  const want = JSON.parse(Buffer.from(expected.val).toString("utf8"));
  if (!isDeepStrictEqual(doc, want)) return `document ${text} instead of ${JSON.stringify(want)}`;
  for (const key of INTEGER_FIELDS) {
    if (key in doc && !new RegExp(`"${key}"\\s*:\\s*-?[0-9]+\\s*[,}]`).test(text)) {
      return `${key} is not written as an integer in ${text}`;
    }
  }
  return null;
}

const records = tweets();
const configs = ["{}", '{"langs": ["en", "ja", "es"]}'];
const components = {};
for (const language of languages) {
  const start = performance.now();
  components[language] = await load(language);
  console.log(`transpiled ${language} in ${Math.round(performance.now() - start)} ms`);
}

let passed = 0;
let failed = 0;
for (const config of configs) {
  const results = {};
  for (const language of languages) {
    const inited = init(components[language], config);
    if (inited !== "ok") throw new Error(`${language} refused config ${config}: ${inited}`);
    const start = performance.now();
    results[language] = run(components[language], records);
    const ms = performance.now() - start;
    const tags = {};
    for (const outcome of results[language]) tags[outcome.tag] = (tags[outcome.tag] ?? 0) + 1;
    console.log(
      `config ${config} ${language}: ${JSON.stringify(tags)} in ${Math.round(ms)} ms ` +
        `(${Math.round((ms * 1000) / records.length)} us/record)`,
    );
  }
  for (const language of languages.slice(1)) {
    let shown = 0;
    results.rust.forEach((expected, i) => {
      const why = difference(expected, results[language][i]);
      if (why === null) {
        passed++;
        return;
      }
      failed++;
      if (shown++ < 3) console.log(`FAIL ${language} record ${i} with config ${config}: ${why}`);
    });
  }
}

// A misspelt key must be refused with its name, in every language.
for (const language of languages) {
  const inited = init(components[language], '{"lnags": ["en"]}');
  if (inited === "err: invalid plugin config at `lnags`: unknown field `lnags`, expected `langs`") {
    passed++;
  } else {
    failed++;
    console.log(`FAIL ${language} init with a misspelt key: ${inited}`);
  }
}

console.log(`${records.length} records, ${configs.length} configs, ${languages.length} languages`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
