#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the test suites and prints, on stdout,
# the one line to eval:   eval "$(bash .ci/start-postgres.sh)"
#   export FAKTURA_TEST_PG_URL=postgres://postgres@127.0.0.1:PORT/faktura_test
#   export FAKTURA_TEST_PG_APP_URL=postgres://faktura_app:PASSWORD@127.0.0.1:PORT/faktura_test
# The first URL is the owner (superuser) role; the second a non-owner login role
# `faktura_app` with a fresh random password, for the least-privilege tests (the
# store grants it what it needs when it opens with both URLs).
# Installs Debian's `postgresql` package if it is missing (needs root). Listens on
# loopback only, trusts local connections (test data only), and keeps everything in
# a fresh directory under ${TMPDIR:-/tmp}; stop it with the pg_ctl line printed on stderr.
set -euo pipefail

log() { printf 'start-postgres: %s\n' "$*" >&2; }

find_bin() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && printf '%s\n' "$d"
}

BIN=$(find_bin || true)
if [ -z "$BIN" ]; then
    log "PostgreSQL not found; installing Debian's postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    timeout 600 apt-get update -qq >&2
    timeout 900 apt-get install -y -qq --no-install-recommends postgresql >&2
    BIN=$(find_bin || true)
fi
[ -n "$BIN" ] || { log "initdb/pg_ctl still missing after install"; exit 1; }
id postgres >/dev/null 2>&1 || { log "the postgres system user is missing"; exit 1; }

# A free loopback port: ask the kernel for one, falling back to probing a range.
PORT=""
if command -v python3 >/dev/null 2>&1; then
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
else
    for p in $(seq 54320 54420); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then PORT=$p; break; fi
    done
fi
[ -n "$PORT" ] || { log "no free port found"; exit 1; }

DIR=$(mktemp -d "${TMPDIR:-/tmp}/faktura-pg.XXXXXX")
chown postgres: "$DIR"
chmod 700 "$DIR"
as_pg() { runuser -u postgres -- "$@"; }

as_pg "$BIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --no-sync >"$DIR/initdb.log" 2>&1 \
    || { cat "$DIR/initdb.log" >&2; exit 1; }
# -w waits for readiness, -t bounds the wait: no sleep loop.
as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
    -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >&2 \
    || { cat "$DIR/server.log" >&2; exit 1; }
as_pg "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres faktura_test
# The application role: may log in, owns nothing, creates nothing; no CREATE on
# public either (PostgreSQL >= 15 default, made explicit for older versions).
APP_PASSWORD=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
[ ${#APP_PASSWORD} -eq 48 ] || { log "could not draw a password from /dev/urandom"; exit 1; }
as_pg "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d faktura_test -v ON_ERROR_STOP=1 -q \
    -v app_password="$APP_PASSWORD" >&2 <<'SQL'
CREATE ROLE faktura_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS
    PASSWORD :'app_password';
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL

log "PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT, data in $DIR"
log "stop with: runuser -u postgres -- $BIN/pg_ctl -D $DIR/data -m fast stop"
echo "export FAKTURA_TEST_PG_URL=postgres://postgres@127.0.0.1:$PORT/faktura_test"
echo "export FAKTURA_TEST_PG_APP_URL=postgres://faktura_app:$APP_PASSWORD@127.0.0.1:$PORT/faktura_test"
