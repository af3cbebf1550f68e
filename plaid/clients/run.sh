#!/usr/bin/env bash
# Plaid's official clients against the local Plaid API, and a fuzz pass over request bodies:
# for each built-in profile, a freshly seeded SQLite database, a server on 127.0.0.1 (a free
# port), plaid-python's full check, npm plaid's shorter one, and fuzz.py. Installs what it
# needs: a virtualenv with plaid-python under target/plaid-clients, and the Node client with
# `npm ci` from the committed package-lock.json. Fails loudly on the first error.
#
# Run from the workspace root: plaid/clients/run.sh (CI runs it from .ci/run).
set -euo pipefail
cd "$(dirname "$0")/../.."

PLAID_PYTHON_VERSION="46.0.0"

work="target/plaid-clients"
mkdir -p "$work"
target_dir="${CARGO_TARGET_DIR:-target}"

if [ ! -x "$work/venv/bin/python" ] || ! "$work/venv/bin/python" -c "import plaid; assert plaid.__version__ == '$PLAID_PYTHON_VERSION'" 2>/dev/null; then
    rm -rf "$work/venv"
    if ! python3 -m venv "$work/venv"; then
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv
        python3 -m venv "$work/venv"
    fi
    "$work/venv/bin/pip" install --quiet "plaid-python==$PLAID_PYTHON_VERSION"
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm
fi
(cd plaid/clients/node && npm ci --no-audit --no-fund --silent)

cargo build --quiet --package seed --bin seed --package plaid --bin plaid
seed="$target_dir/debug/seed"
plaid="$target_dir/debug/plaid"

server_pid=""
stop_server() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
trap stop_server EXIT

for profile in story calibrated; do
    db="$work/$profile.db"
    log="$work/$profile-server.log"
    rm -f "$db" "$db-wal" "$db-shm" "$db-journal"
    "$seed" --num-users 40 --profile "$profile" --as-of 2025-06-01 --no-json --quiet --database-url "$db" >/dev/null
    "$plaid" --database-url "$db" --tokens > "$work/$profile-tokens.tsv"

    "$plaid" --database-url "$db" --listen 127.0.0.1:0 2> "$log" &
    server_pid=$!
    # Wait for the line that names the port (the server prints it once it listens).
    url=""
    for _ in $(seq 300); do
        url="$(grep -o 'on http://[0-9.:]*' "$log" | head -n 1 | cut -c4- || true)"
        [ -n "$url" ] && break
        kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
        sleep 0.1
    done
    [ -n "$url" ] || { echo "plaid: the server did not start" >&2; cat "$log" >&2; exit 1; }
    echo "plaid clients: $profile profile, server at $url"

    "$work/venv/bin/python" plaid/clients/python/check.py --url "$url" --database "$db" \
        --tokens-file "$work/$profile-tokens.tsv"
    python3 plaid/clients/python/truth.py "$db" > "$work/$profile-truth.json"
    node plaid/clients/node/check.mjs --url "$url" --truth "$work/$profile-truth.json"
    token="$(head -n 1 "$work/$profile-tokens.tsv" | cut -f 2)"
    python3 plaid/clients/fuzz.py --url "$url" --token "$token" --log "$log"

    stop_server
    if grep -q panicked "$log"; then
        echo "plaid: the server's log holds a panic:" >&2
        cat "$log" >&2
        exit 1
    fi
done
echo "plaid clients: plaid-python, npm plaid and the fuzz pass passed on both profiles"
