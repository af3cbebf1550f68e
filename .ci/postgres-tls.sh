#!/usr/bin/env bash
# Turns on TLS for the local PostgreSQL cluster, so tests can connect with sslmode=require.
#
# Idempotent: if the server already reports `ssl = on` (Debian's packages ship a snakeoil
# certificate), nothing changes. Otherwise it creates a self-signed certificate for
# localhost, points the cluster at it from conf.d and reloads the configuration (TLS
# settings take effect on reload; existing connections are kept).
#
# Environment: PGHOST (default 127.0.0.1), PGPORT (5432), PGUSER (postgres), and
# PG_CLUSTER (main), the Debian cluster name that serves PGPORT.
set -euo pipefail

export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"

if [ "$(psql -XtAc 'SHOW ssl' postgres)" = "on" ]; then
    echo "postgres-tls: ssl is already on"
    exit 0
fi

version="$(ls /etc/postgresql | sort -V | tail -n 1)"
cluster="${PG_CLUSTER:-main}"
config_dir="/etc/postgresql/$version/$cluster"
tls_dir="$config_dir/seed-tls"

if ! command -v openssl >/dev/null; then
    apt-get update -qq
    apt-get install -y -qq openssl >/dev/null
fi

if [ ! -s "$tls_dir/server.crt" ] || [ ! -s "$tls_dir/server.key" ]; then
    mkdir -p "$tls_dir"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=localhost" \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
        -keyout "$tls_dir/server.key" -out "$tls_dir/server.crt" 2>/dev/null
    # The server refuses a key that others can read.
    chown -R postgres:postgres "$tls_dir"
    chmod 0600 "$tls_dir/server.key"
fi

mkdir -p "$config_dir/conf.d"
cat > "$config_dir/conf.d/60-seed-tls.conf" <<CONF
# Written by .ci/postgres-tls.sh: TLS with a self-signed certificate for local tests.
ssl = on
ssl_cert_file = '$tls_dir/server.crt'
ssl_key_file = '$tls_dir/server.key'
CONF

pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" reload
# A reload is asynchronous; wait until the server has applied it.
for _ in $(seq 50); do
    if [ "$(psql -XtAc 'SHOW ssl' postgres)" = "on" ]; then
        echo "postgres-tls: ssl is on with $tls_dir/server.crt"
        exit 0
    fi
    sleep 0.1
done
echo "postgres-tls: the server did not turn ssl on; see /var/log/postgresql/postgresql-$version-$cluster.log" >&2
exit 1
