#!/bin/sh
# Starts or stops a local S3-compatible server (moto, from the test extra) on 127.0.0.1 for the
# tests of the S3 artifact store.
#   .ci/s3.sh start|stop PORT
set -eu
action=${1:?usage: s3.sh start|stop port}
port=${2:?usage: s3.sh start|stop port}
bin=${BIN:-.venv/bin}
pidfile=/tmp/greenlight-test-s3-$port.pid
log=/tmp/greenlight-test-s3-$port.log

case "$action" in
start)
    "$bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
    echo $! >"$pidfile"
    tries=0
    until "$bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/', timeout=1)" >/dev/null 2>&1; do
        tries=$((tries + 1))
        if [ "$tries" -ge 60 ]; then cat "$log" >&2; exit 1; fi
        sleep 0.5
    done
    echo "S3-compatible test server (moto) running on 127.0.0.1:$port"
    ;;
stop)
    if [ -f "$pidfile" ]; then
        kill "$(cat "$pidfile")" 2>/dev/null || true
        rm -f "$pidfile" "$log"
    fi
    echo "S3-compatible test server stopped"
    ;;
*)
    echo "usage: s3.sh start|stop port" >&2
    exit 2
    ;;
esac
