#!/usr/bin/env bash
# Runs test_client.py (the official elasticsearch-py 8.19 client) against a fresh
# es-test-server. Installs the client into target/es-python-venv once; later runs
# install nothing. Usage: tests/es-server/python/run.sh
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
venv="$root/target/es-python-venv"
cargo="${CARGO:-cargo}"
max_content_length=1048576

if ! "$venv/bin/python" -c 'import elasticsearch, sys; sys.exit(elasticsearch.__versionstr__[:5] != "8.19.")' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
fi

"$cargo" build --release --quiet -p es-test-server
log="$(mktemp)"
"$root/target/release/es-test-server" --port 0 --max-content-length "$max_content_length" >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do
    url="$(grep -m1 -o 'http://[0-9.:]*' "$log" || true)"
    [ -n "$url" ] && break
    sleep 0.1
done
if [ -z "${url:-}" ]; then
    echo "es-test-server did not start:" >&2
    cat "$log" >&2
    exit 1
fi

cd "$here"
ES_URL="$url" MAX_CONTENT_LENGTH="$max_content_length" "$venv/bin/python" -m unittest -v test_client
