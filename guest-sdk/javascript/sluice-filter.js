// Write a Sluice filter in JavaScript: one class, one line to export it.
//
// componentize-js (through `jco componentize`) turns an ES module that
// exports `init` and `process` into a component of the `sluice:filter`
// world. `exportFilter` builds both from a plain filter class, so the author
// never sees the batch call or the WIT types:
//
//   import { exportFilter, PASS, DROP } from "../../../guest-sdk/javascript/sluice-filter.js";
//
//   class KeepEnglish {
//     constructor(config) {}
//     filter(tweet) { return tweet.lang === "en" ? PASS : DROP; }
//   }
//
//   export const { init, process } = exportFilter(KeepEnglish);
//
// The constructor gets the plugin's config table as an object; an Error it
// throws refuses the plugin with its message. `filter` gets one parsed record
// and returns PASS, DROP, replace(doc), split([docs]) or reject(reason). An
// exception it throws rejects that record instead of trapping the batch.

export const PASS = Object.freeze({ verdict: "pass" });
export const DROP = Object.freeze({ verdict: "drop" });
export const replace = (doc) => ({ verdict: "replace", doc });
export const split = (docs) => ({ verdict: "split", docs });
export const reject = (reason) => ({ verdict: "reject", reason: String(reason) });

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();
const encode = (doc) => encoder.encode(JSON.stringify(doc));

function outcome(filter, record) {
  let doc;
  try {
    doc = JSON.parse(decoder.decode(record));
  } catch (error) {
    return { tag: "reject", val: `plugin could not parse record: ${error.message}` };
  }
  try {
    const verdict = filter.filter(doc);
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
  } catch (error) {
    return { tag: "reject", val: `filter threw ${error.name}: ${error.message}` };
  }
}

// Returns the world's two exports for a filter class.
export function exportFilter(FilterClass) {
  let filter;
  return {
    init(config) {
      let table;
      try {
        table = JSON.parse(config);
      } catch (error) {
        throw `config is not valid JSON: ${error.message}`;
      }
      if (table === null || typeof table !== "object" || Array.isArray(table)) {
        throw "config must be a JSON object";
      }
      try {
        filter = new FilterClass(table);
      } catch (error) {
        // componentize-js sends a thrown value as the `err` payload, which
        // must be a string here.
        throw error instanceof Error ? error.message : String(error);
      }
    },
    process(batch) {
      return batch.map((record) => outcome(filter, record));
    },
  };
}
