// {{name}}: a Sluice filter. Keeps tweets whose `lang` is one of its `langs`
// setting (English by default) and drops the rest.

import { DROP, PASS, filter } from "sluice-filter";

function {{camel}}(tweet, settings) {
  return settings.langs.includes(tweet.lang) ? PASS : DROP;
}

// The plugin's table in the pipeline file: `config = { langs = ["en"] }`;
// any other key is refused with its name.
export const { init, process } = filter({{camel}}, { settings: { langs: ["en"] } });
