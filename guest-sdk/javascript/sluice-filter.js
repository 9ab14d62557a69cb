// Write a Sluice filter in JavaScript: one function, one line to export it.
//
// componentize-js (through `jco componentize`, which `sluice-filter-build`
// runs) turns an ES module that exports `init` and `process` into a
// component of the `sluice:filter` world. `filter` makes both from one
// function, so the author never sees the batch call or the WIT types:
//
//   import { filter, PASS, DROP } from "sluice-filter";
//
//   export const { init, process } = filter((tweet) => (tweet.lang === "en" ? PASS : DROP));
//
// The function gets one parsed record and returns PASS, DROP, replace(doc)
// or split([docs]), or refuses the record by returning reject(reason) or
// throwing a Reject. Any other exception is a fault of that record: the
// host dead-letters it as a trap and starts a fresh instance.
//
// Settings: `filter(fn, { settings: { langs: ["en"] } })` names every key
// with its default, refuses any other key by name and checks each value's
// type against its default's; `fn(tweet, settings)` gets them, and may
// change them as state kept between records. `settings` may instead be a
// function of the table; whatever it throws refuses the plugin.

export const PASS = Object.freeze({ verdict: "pass" });
export const DROP = Object.freeze({ verdict: "drop" });
export const replace = (doc) => ({ verdict: "replace", doc });
export const split = (docs) => ({ verdict: "split", docs });
export const reject = (reason) => ({ verdict: "reject", reason: String(reason) });

// Thrown from a filter: refuses that record with `reason`.
export class Reject extends Error {
  constructor(reason) {
    super(String(reason));
    this.name = "Reject";
  }
}

function kind(value) {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "a list";
  switch (typeof value) {
    case "boolean":
      return "a boolean";
    case "number":
      return "a number";
    case "string":
      return "a string";
    default:
      return "a table";
  }
}

// serde's wording, so that every language's SDK refuses a key alike.
function unknownKey(key, known) {
  const names = known.map((name) => `\`${name}\``).join(", ");
  const expected =
    known.length === 0 ? "there are no fields" : known.length === 1 ? `expected ${names}` : `expected one of ${names}`;
  return `invalid plugin config at \`${key}\`: unknown field \`${key}\`, ${expected}`;
}

// The settings: every key of `defaults`, overridden by `table`. Throws an
// Error naming an unknown key or a value whose type is not its default's.
export function checkSettings(table, defaults) {
  for (const [key, value] of Object.entries(table)) {
    if (!Object.hasOwn(defaults, key)) throw new Error(unknownKey(key, Object.keys(defaults)));
    const fallback = defaults[key];
    if (fallback !== null && kind(value) !== kind(fallback)) {
      throw new Error(`invalid plugin config at \`${key}\`: expected ${kind(fallback)}, got ${kind(value)}`);
    }
    if (Array.isArray(fallback) && fallback.length > 0) {
      const element = kind(fallback[0]);
      if (value.some((item) => kind(item) !== element)) {
        throw new Error(`invalid plugin config at \`${key}\`: expected a list of ${element.slice(2)}s`);
      }
    }
  }
  return { ...JSON.parse(JSON.stringify(defaults)), ...table };
}

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();
const encode = (doc) => encoder.encode(JSON.stringify(doc));

function outcome(verdict) {
  switch (verdict?.verdict) {
    case "pass":
      return { tag: "pass" };
    case "drop":
      return { tag: "drop" };
    case "replace":
      return { tag: "replace", val: encode(verdict.doc) };
    case "split":
      return { tag: "split", val: verdict.docs.map(encode) };
    case "reject":
      return { tag: "reject", val: verdict.reason };
    default:
      throw new TypeError(`filter returned ${JSON.stringify(verdict)}, not a verdict`);
  }
}

function decide(fn, settings, record) {
  let tweet;
  try {
    tweet = JSON.parse(decoder.decode(record));
  } catch (error) {
    return { tag: "reject", val: `plugin could not parse record: ${error.message}` };
  }
  try {
    return outcome(fn(tweet, settings));
  } catch (error) {
    if (error instanceof Reject) return { tag: "reject", val: error.message };
    throw error;
  }
}

// The world's two exports for a filter function.
export function filter(fn, { settings } = {}) {
  let current;
  return {
    init(config) {
      try {
        const table = JSON.parse(config);
        if (table === null || typeof table !== "object" || Array.isArray(table)) {
          throw new Error("invalid plugin config: not a JSON object");
        }
        current = typeof settings === "function" ? settings(table) : checkSettings(table, settings ?? {});
      } catch (error) {
        // componentize-js sends a thrown value as the `err` payload, which
        // must be a string here.
        throw error instanceof Error ? error.message : String(error);
      }
    },
    process(batch) {
      return batch.map((record) => decide(fn, current, record));
    },
  };
}
