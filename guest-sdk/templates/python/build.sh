#!/usr/bin/env bash
# Builds {{crate}}.wasm with componentize-py, through the sluice-filter
# package (installed with componentize-py into .venv unless SLUICE_PYTHON
# names a Python that has it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
PYTHON=${SLUICE_PYTHON:-.venv/bin/python}
if ! "$PYTHON" -c "import sluice_filter" 2>/dev/null; then
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install --disable-pip-version-check -q "{{sdk}}/python"
  PYTHON=.venv/bin/python
fi
"$PYTHON" -m sluice_filter build app -o {{crate}}.wasm
