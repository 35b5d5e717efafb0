#!/bin/bash
# A private PostgreSQL cluster for tests and the local sandbox.
#   scripts/pg.sh start DIR PORT   initdb (once) and start, listening on 127.0.0.1:PORT
#   scripts/pg.sh stop DIR         stop it (fast shutdown)
#   scripts/pg.sh conninfo DIR PORT
# PostgreSQL refuses to run as root: as root, the cluster belongs to the
# 'postgres' user and DIR must be reachable by it (use a 0755 directory).
set -euo pipefail

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] || { echo "pg.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
  echo "$dir"
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: pg.sh start|stop|conninfo DIR [PORT]" >&2; exit 2; }
bin=$(pg_bin)

case "$cmd" in
  start)
    port=${3:?port}
    mkdir -p "$dir"
    chmod 0755 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --locale=C -E UTF8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    mkdir -p "$dir/sock"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir/sock"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/sock -c fsync=off -c max_connections=200" start >/dev/null \
      || { tail -n 20 "$dir/postgres.log" >&2; exit 1; }
    # a database and a role for the module, as an admin would create them
    psql "host=127.0.0.1 port=$port user=postgres dbname=postgres" -X -q -v ON_ERROR_STOP=1 <<'SQL' >/dev/null
SELECT 'CREATE ROLE approvals LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'approvals') \gexec
SELECT 'CREATE DATABASE approvals OWNER approvals' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'approvals') \gexec
SQL
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null || true
    fi
    ;;
  conninfo)
    echo "host=127.0.0.1 port=${3:?port} dbname=approvals user=approvals connect_timeout=5"
    ;;
  *) echo "pg.sh: unknown command $cmd" >&2; exit 2 ;;
esac
