"""{{name}}: a Sluice filter. Keeps tweets whose `lang` is one of its
`langs` setting (English by default) and drops the rest."""

import sluice_filter as sluice


# The plugin's table in the pipeline file: `config = { langs = ["en"] }`;
# any other key is refused with its name.
@sluice.filter(settings={"langs": ["en"]})
def {{crate}}(tweet, settings):
    return sluice.PASS if tweet.get("lang") in settings.langs else sluice.DROP
