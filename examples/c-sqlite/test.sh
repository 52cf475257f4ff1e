#!/usr/bin/env bash
# End-to-end test for c-sqlite: starts the server on a free port with a
# temporary database, drives the HTTP API with curl (and raw sockets via
# bash's /dev/tcp) and checks the answers, then checks persistence and that
# SIGTERM/SIGINT give exit status 0.
#
# Usage: ./test.sh [path/to/c-sqlite]     (default ./c-sqlite, built with make)
set -u
cd "$(dirname "$0")"
BIN=${1:-./c-sqlite}
if [ "$BIN" = ./c-sqlite ]; then make -s || exit 1; fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

TMP=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; shift; printf '#   %.300s\n' "$@"; }

# start_server [ENV=VALUE ...]: runs the binary with PORT=0 in $TMP and sets
# PID and PORT from its "listening on :PORT" line.
start_server() {
    (cd "$TMP" && exec env PORT=0 "$@" "$BIN" >"$TMP/stdout" 2>"$TMP/stderr") &
    PID=$!
    PORT=
    for _ in $(seq 100); do
        PORT=$(sed -n 's/^listening on :\([0-9][0-9]*\)$/\1/p' "$TMP/stdout")
        [ -n "$PORT" ] && return 0
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "server did not start: $(cat "$TMP/stderr")" >&2
    return 1
}

# stop_server SIGNAL NAME: sends SIGNAL and checks the exit status is 0.
stop_server() {
    kill -s "$1" "$PID"
    local status=0
    wait "$PID" || status=$?
    PID=
    if [ "$status" = 0 ]; then ok "$2"; else not_ok "$2" "exit status $status" "$(cat "$TMP/stderr")"; fi
}

# check NAME METHOD PATH EXPECTED_STATUS EXPECTED_BODY [BODY_FILE] [CURL_ARGS...]
check() {
    local name=$1 method=$2 path=$3 want_status=$4 want_body=$5 body_file=${6:-}
    shift 5
    [ $# -gt 0 ] && shift
    local args=(-sS -o "$TMP/resp" -D "$TMP/headers" -w '%{http_code}' -X "$method")
    [ -n "$body_file" ] && args+=(-H 'Content-Type: application/json' --data-binary "@$body_file")
    local status
    status=$(curl "${args[@]}" "$@" "http://127.0.0.1:$PORT$path")
    local body
    body=$(cat "$TMP/resp")
    if [ "$status" != "$want_status" ]; then
        not_ok "$name" "status $status, want $want_status" "body $body"
    elif [ "$want_body" != "*" ] && [ "$body" != "$want_body" ]; then
        not_ok "$name" "body: $body" "want: $want_body"
    elif ! grep -qi '^content-type: application/json' "$TMP/headers"; then
        not_ok "$name" "missing Content-Type: application/json"
    else
        ok "$name"
    fi
}

# post NAME JSON EXPECTED_STATUS EXPECTED_BODY
post() {
    printf '%s' "$2" >"$TMP/req"
    check "$1" POST /logs "$3" "$4" "$TMP/req"
}

# raw NAME EXPECTED_STATUS_LINE CHUNK...: writes CHUNKs to a raw socket with
# pauses between them (exercises partial reads) and checks the status line.
raw() {
    local name=$1 want=$2
    shift 2
    exec 3<>"/dev/tcp/127.0.0.1/$PORT"
    for chunk in "$@"; do
        printf '%b' "$chunk" >&3
        sleep 0.1
    done
    local line
    IFS= read -r -t 5 line <&3
    exec 3>&-
    line=${line%$'\r'}
    if [ "$line" = "$want" ]; then ok "$name"; else not_ok "$name" "got '$line', want '$want'"; fi
}

start_server DATABASE_PATH="$TMP/test.db" || exit 1
if [ "$(cat "$TMP/stdout")" = "listening on :$PORT" ]; then ok "start line"; else not_ok "start line" "$(cat "$TMP/stdout")"; fi

check "GET /health" GET /health 200 '{"status":"ok"}'
check "GET /health with query string" GET '/health?verbose=1' 200 '{"status":"ok"}'
check "GET /logs empty" GET /logs 200 '[]'

post "POST /logs" '{"message":"hello"}' 201 '{"id":1,"message":"hello"}'
post "POST /logs with escapes" \
    '{"message":"quote \" backslash \\ slash \/ nl \n tab \t e-acute \u00e9 emoji \ud83d\ude00 raw é ctrl \u0001"}' \
    201 '{"id":2,"message":"quote \" backslash \\ slash / nl \n tab \t e-acute é emoji 😀 raw é ctrl \u0001"}'
post "POST /logs ignores other members" \
    ' { "a" : [1, -2.5e+3, {"b": null}, true, false, "s"], "message" : "nested" , "c": {} } ' \
    201 '{"id":3,"message":"nested"}'
check "GET /logs" GET /logs 200 \
    '[{"id":1,"message":"hello"},{"id":2,"message":"quote \" backslash \\ slash / nl \n tab \t e-acute é emoji 😀 raw é ctrl \u0001"},{"id":3,"message":"nested"}]'

for bad in '' 'not json' '[]' 'null' '"message"' '{}' '{"msg":"x"}' '{"message":42}' \
    '{"message":null}' '{"message":""}' '{"message":"unterminated}' '{"message":"x"} trailing' \
    '{"message":"x",}' '{"message":"a\u0000b"}' '{"message":"lone \ud800"}' '{"message":"bad \q"}' \
    '{"message":"tab	inside"}' "{\"message\":\"$(printf '\xff\xfe')\"}" '{"a":[1,],"message":"x"}' \
    '{"a":01,"message":"x"}'; do
    post "POST /logs rejects $(printf '%q' "$bad")" "$bad" 400 '*'
done
check "bad bodies stored nothing" GET /logs 200 '*'
if [ "$(grep -o '"id":' "$TMP/resp" | wc -l)" -eq 3 ]; then ok "still 3 entries"; else not_ok "still 3 entries" "$(cat "$TMP/resp")"; fi

head -c 70000 /dev/zero | tr '\0' a | sed 's/^/{"message":"/; s/$/"}/' >"$TMP/big"
check "POST /logs over 64 KiB gives 413" POST /logs 413 '{"error":"body too large"}' "$TMP/big"
printf '{"message":"%s"}' "$(head -c 60000 /dev/zero | tr '\0' b)" >"$TMP/large"
check "POST /logs just under 64 KiB" POST /logs 201 '*' "$TMP/large"
check "Expect: 100-continue" POST /logs 201 '{"id":5,"message":"continued"}' <(printf '{"message":"continued"}') \
    -H 'Expect: 100-continue'
check "chunked body gives 501" POST /logs 501 '*' <(printf '{"message":"x"}') -H 'Transfer-Encoding: chunked'

check "GET / gives 404" GET / 404 '{"error":"not found"}'
check "GET /nope gives 404" GET /nope 404 '{"error":"not found"}'
check "POST /health gives 404" POST /health 404 '{"error":"not found"}'
check "DELETE /logs gives 404" DELETE /logs 404 '{"error":"not found"}'
check "GET /logs/1 gives 404" GET /logs/1 404 '{"error":"not found"}'

raw "request split across reads" "HTTP/1.1 201 Created" \
    'POST /logs HTTP/1.1\r\nHost: x\r\nContent-Le' 'ngth: 19\r\n\r' '\n{"messag' 'e":"split"}'
raw "HTTP/1.0 request" "HTTP/1.1 200 OK" 'GET /health HTTP/1.0\r\n\r\n'
raw "garbage request line" "HTTP/1.1 400 Bad Request" 'HELLO\r\n\r\n'
raw "conflicting Content-Length" "HTTP/1.1 400 Bad Request" \
    'POST /logs HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}'
raw "oversized headers" "HTTP/1.1 431 Request Header Fields Too Large" \
    "GET /health HTTP/1.1\r\nX-Big: $(head -c 9000 /dev/zero | tr '\0' x)\r\n\r\n"
check "still serving after bad requests" GET /health 200 '{"status":"ok"}'

stop_server TERM "exit status 0 on SIGTERM"

if [ -s "$TMP/test.db" ]; then ok "database file created at DATABASE_PATH"; else not_ok "database file created at DATABASE_PATH"; fi

start_server DATABASE_PATH="$TMP/test.db" || exit 1
check "data survives a restart" GET /logs 200 '*'
if [ "$(grep -o '"id":' "$TMP/resp" | wc -l)" -eq 6 ]; then ok "restart kept 6 entries"; else not_ok "restart kept 6 entries" "$(cat "$TMP/resp")"; fi
post "ids continue after restart" '{"message":"after restart"}' 201 '{"id":7,"message":"after restart"}'
stop_server INT "exit status 0 on SIGINT"

start_server || exit 1
check "default database is app.db in the working directory" GET /health 200 '{"status":"ok"}'
stop_server TERM "exit status 0 with the default database"
if [ -s "$TMP/app.db" ]; then ok "app.db created in the working directory"; else not_ok "app.db created in the working directory"; fi

if env DATABASE_PATH="$TMP/missing-dir/app.db" PORT=0 "$BIN" >/dev/null 2>"$TMP/stderr"; then
    not_ok "missing database directory fails start-up"
elif [ -e "$TMP/missing-dir" ]; then
    not_ok "missing database directory fails start-up" "the directory was created"
else
    ok "missing database directory fails start-up"
fi

if env PORT=notaport DATABASE_PATH="$TMP/test.db" "$BIN" >/dev/null 2>&1; then not_ok "invalid PORT is rejected"; else ok "invalid PORT is rejected"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
