#!/usr/bin/env bash
# Starts a throwaway S3-compatible peer (s3s-fs, which checks SigV4 signatures) for the
# file-store tests and prints, on stdout, the lines to eval:
#   eval "$(bash .ci/start-s3.sh)"
#   export FAKTURA_TEST_S3_ENDPOINT=http://127.0.0.1:8014   (and _BUCKET, _ACCESS_KEY,
#   _SECRET_FILE: the secret key is in a 0600 file, never in the environment; _DATA_DIR:
#   the peer's storage folder, which the tests search raw for plaintext)
# Installs s3s-fs 0.14.1 into ~/.cache/faktura-ci/bin if it is missing (about 6 minutes on
# 2 cores; newer versions need a newer rustc). Listens on loopback only; every value is a
# throwaway test value in a fresh folder under ${TMPDIR:-/tmp}. Stop it with the kill line
# printed on stderr.
set -euo pipefail

log() { printf 'start-s3: %s\n' "$*" >&2; }

CACHE="${FAKTURA_CI_CACHE:-$HOME/.cache/faktura-ci}"
BIN="$CACHE/bin/s3s-fs"
VERSION=0.14.1
if [ ! -x "$BIN" ] || ! "$BIN" --version 2>/dev/null | grep -q "$VERSION"; then
    log "installing s3s-fs $VERSION into $CACHE/bin (its own target folder, about 6 minutes)"
    CARGO_TARGET_DIR="$CACHE/target-s3s-fs" timeout 1800 nice -n 10 \
        cargo install s3s-fs --version "$VERSION" --features binary --locked --root "$CACHE" >&2
fi
[ -x "$BIN" ] || { log "s3s-fs is still missing after the install"; exit 1; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
# The braces keep the 2>/dev/null from sticking to the whole script (exec would make it permanent).
port_busy() { { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null && exec 3<&- 3>&-; }
# The first bytes of the answer to an unsigned GET, or nothing.
probe() {
    ( exec 3<>"/dev/tcp/127.0.0.1/$1" \
        && printf 'GET /%s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&3 \
        && head -c 12 <&3 ) 2>/dev/null || true
}

PORT="${FAKTURA_S3_PORT:-8014}"
if port_busy "$PORT"; then
    log "port $PORT is taken; using a free one"
    PORT=$(free_port)
fi

DIR=$(mktemp -d "${TMPDIR:-/tmp}/faktura-s3.XXXXXX")
chmod 700 "$DIR"
BUCKET=faktura-test
ACCESS_KEY=faktura-test
# A fresh random secret per run, kept in a 0600 file.
(umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DIR/secret")
# s3s-fs serves every top-level folder of its root as a bucket.
mkdir -p "$DIR/data/$BUCKET"

# s3s-fs takes the secret as an argument; it is a throwaway value on a loopback-only peer.
nohup "$BIN" --host 127.0.0.1 --port "$PORT" --access-key "$ACCESS_KEY" \
    --secret-key "$(cat "$DIR/secret")" "$DIR/data" >"$DIR/s3s-fs.log" 2>&1 </dev/null &
PID=$!
echo "$PID" >"$DIR/pid"

# Ready when it answers HTTP on the port (an unsigned request gets an S3 error document).
ready=""
for _ in $(seq 1 100); do
    if ! kill -0 "$PID" 2>/dev/null; then
        cat "$DIR/s3s-fs.log" >&2
        log "s3s-fs exited during start-up"
        exit 1
    fi
    if [[ "$(probe "$PORT" "$BUCKET")" == HTTP/1.1* ]]; then ready=1; break; fi
    sleep 0.2
done
[ -n "$ready" ] || { cat "$DIR/s3s-fs.log" >&2; log "s3s-fs did not answer on 127.0.0.1:$PORT"; exit 1; }

log "s3s-fs $VERSION on 127.0.0.1:$PORT (pid $PID), bucket $BUCKET, data in $DIR/data"
log "stop with: kill $PID"
echo "export FAKTURA_TEST_S3_ENDPOINT=http://127.0.0.1:$PORT"
echo "export FAKTURA_TEST_S3_BUCKET=$BUCKET"
echo "export FAKTURA_TEST_S3_ACCESS_KEY=$ACCESS_KEY"
echo "export FAKTURA_TEST_S3_SECRET_FILE=$DIR/secret"
echo "export FAKTURA_TEST_S3_DATA_DIR=$DIR/data"
echo "export FAKTURA_TEST_S3_PID=$PID"
