# Sourced by test scripts: start a server on a free 127.0.0.1 port and stop it on exit.
#
#   start_http_server LOG COMMAND ARGS...   # appends --http 127.0.0.1:PORT; sets PORT, SERVER_PID
#                                            # (@PORT@ in ARGS becomes the port, e.g. in a URL)
#   stop_http_server                         # SIGTERM, then waits; returns the server's status

# Tries random high ports until the server stays up and answers on /mcp.
start_http_server() {
    local log=$1
    shift
    local tries
    for tries in 1 2 3 4 5 6 7 8; do
        PORT=$((20000 + (RANDOM % 20000)))
        local args=() a
        for a in "$@"; do args+=("${a//@PORT@/$PORT}"); done
        "${args[@]}" --http "127.0.0.1:$PORT" >>"$log" 2>&1 &
        SERVER_PID=$!
        local i
        for i in $(seq 1 100); do
            if ! kill -0 "$SERVER_PID" 2>/dev/null; then
                break # exited: most likely the port was taken
            fi
            if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/mcp"; then
                return 0
            fi
            sleep 0.1
        done
        kill "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
    done
    echo "could not start: $* (see $log)" >&2
    return 1
}

stop_http_server() {
    [ -n "${SERVER_PID:-}" ] || return 0
    kill -TERM "$SERVER_PID" 2>/dev/null
    local status=0
    wait "$SERVER_PID" 2>/dev/null || status=$?
    SERVER_PID=
    return "$status"
}
