#!/usr/bin/env bash
# Runs the PostgreSQL tests (ignored by a plain `cargo test`) against the local cluster:
# starts the cluster if it is down, turns on TLS, and points the tests at the server.
# Each test creates and drops its own throwaway database.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql postgresql-client
fi
version="$(ls /etc/postgresql | sort -V | tail -n 1)"
if ! pg_ctlcluster --skip-systemctl-redirect "$version" main status >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
fi
for _ in $(seq 50); do
    pg_isready -q -h 127.0.0.1 -p 5432 && break
    sleep 0.2
done
pg_isready -h 127.0.0.1 -p 5432

.ci/postgres-tls.sh

export SEED_TEST_POSTGRES_URL="${SEED_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
# The tests that need no server ran already in .ci/run; these are the ignored ones, built with
# TLS so that `sslmode=require` is tested too. The Plaid API's clock tests (`with_advance`) are
# ignored until the seeder's advance is wired into the server, and need no PostgreSQL.
cargo test --workspace --features seed/tls -- --ignored --skip with_advance
