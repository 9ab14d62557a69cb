/* {{name}}: a Sluice filter. Keeps tweets whose `lang` is one of its `langs`
 * setting (English by default) and drops the rest. The SDK is in sluice/. */
#include "sluice_filter.h"

static char *english[] = {"en", NULL};
static char **langs = english;

/* The plugin's table in the pipeline file: `config = { langs = ["en"] }`. */
char *sluice_filter_init(sluice_json config) {
  char *error = sluice_check_keys(config, (const char *const[]){"langs", NULL});
  return error ? error : sluice_setting_strings(config, "langs", &langs);
}

sluice_outcome sluice_filter(sluice_json tweet) {
  return sluice_string_in(sluice_get(tweet, "lang"), langs) ? sluice_pass() : sluice_drop();
}
