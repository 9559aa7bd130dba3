#!/bin/sh
# Starts or stops a throwaway PostgreSQL cluster on 127.0.0.1 for the tests.
#   .ci/postgres.sh start|stop [PORT]
# initdb refuses to run as root, so as root the cluster belongs to the `postgres` user.
set -eu
action=${1:?usage: postgres.sh start|stop [port]}
port=${2:-54329}
data=${GREENLIGHT_TEST_PGDATA:-/tmp/greenlight-test-pg-$port}

find_bin() {
    if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}
bin=$(find_bin)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "Installing PostgreSQL from Debian's packages…"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
        bin=$(find_bin)
    else
        echo "PostgreSQL (initdb, pg_ctl) is missing: install Debian's 'postgresql' package." >&2
        exit 1
    fi
fi

as_owner() {
    if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi
}

case "$action" in
start)
    if [ -f "$data/postmaster.pid" ]; then
        as_owner "$bin/pg_ctl -D $data -m immediate -w stop" >/dev/null 2>&1 || true
    fi
    rm -rf "$data"
    mkdir -p "$data"
    if [ "$(id -u)" = 0 ]; then chown postgres "$data"; fi
    chmod 700 "$data"
    as_owner "$bin/initdb -D $data -A trust -U postgres --no-sync -E UTF8 >$data.initdb.log 2>&1" \
        || { cat "$data.initdb.log" >&2; exit 1; }
    # fsync off: a test cluster trades durability for speed.
    as_owner "$bin/pg_ctl -D $data -l $data/server.log -w -o \"-h 127.0.0.1 -p $port -k $data -F -c max_connections=200\" start" >/dev/null \
        || { cat "$data/server.log" >&2; exit 1; }
    echo "PostgreSQL test cluster running on 127.0.0.1:$port"
    ;;
stop)
    if [ -d "$data" ]; then
        as_owner "$bin/pg_ctl -D $data -m fast -w stop" >/dev/null 2>&1 || true
        rm -rf "$data" "$data.initdb.log"
    fi
    echo "PostgreSQL test cluster stopped"
    ;;
*)
    echo "usage: postgres.sh start|stop [port]" >&2
    exit 2
    ;;
esac
