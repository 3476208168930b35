#!/usr/bin/env bash
# Starts a throwaway PostgreSQL (Debian's package) for the tests: initdb in a temporary folder as the
# `postgres` user, on 127.0.0.1 and a free port, fsync off. Prints `export` lines to eval, e.g.
#   eval "$(scripts/start-postgres.sh)"   …   eval "$ORGANA_TEST_POSTGRES_STOP"
# The tests read ORGANA_TEST_DATABASE_URL (trust authentication, user postgres, database organa_test).
set -euo pipefail
as_root=()
if [ "$(id -u)" -ne 0 ]; then as_root=(sudo); fi
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pgbin" ]; then
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
root=$(mktemp -d /tmp/organa-pg.XXXXXX)
chmod 755 "$root"
"${as_root[@]}" chown postgres:postgres "$root"
as_postgres=("${as_root[@]}" runuser -u postgres --)
if [ "$(id -u)" -ne 0 ]; then as_postgres=(sudo -u postgres); fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as_postgres[@]}" "$pgbin/initdb" -D "$root/data" -U postgres -A trust -E UTF8 --no-locale >/dev/null
"${as_postgres[@]}" "$pgbin/pg_ctl" -D "$root/data" -l "$root/server.log" -w \
  -o "-p $port -k $root -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
-c full_page_writes=off -c max_connections=300" start >/dev/null
"${as_postgres[@]}" "$pgbin/psql" -h 127.0.0.1 -p "$port" -U postgres -q -c 'CREATE DATABASE organa_test' >/dev/null
stop="${as_postgres[*]} $pgbin/pg_ctl -D $root/data -m fast stop; ${as_root[*]} rm -rf $root"
echo "export ORGANA_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$port/organa_test"
echo "export ORGANA_TEST_POSTGRES_STOP='$stop'"
echo "# stop with: eval \"\$ORGANA_TEST_POSTGRES_STOP\" (log: $root/server.log)"
