#!/usr/bin/env bash
# Throwaway PostgreSQL 15 and Redis for tests and benchmarks, and Debian's Chromium for browser tests.
# Installs the Debian packages when missing (needs root; `apt-get update` first), starts private
# instances on loopback ports, and prints the environment to use them:
#   eval "$(bash scripts/services.sh start)"      bash scripts/services.sh stop
set -euo pipefail

ROOT=${JWO_SERVICES_DIR:-/tmp/jwo-services}
PG_PORT=${JWO_PG_PORT:-55432}
REDIS_PORT=${JWO_REDIS_PORT:-56379}
PG_BIN=/usr/lib/postgresql/15/bin

log() { echo "services: $*" >&2; }

apt_install() {
  if [ "$(id -u)" != 0 ]; then
    log "cannot install $* without root; install them and run again"
    return 1
  fi
  if [ ! -f "$ROOT/.apt-updated" ]; then
    log "apt-get update"
    apt-get update -qq >&2
    mkdir -p "$ROOT" && touch "$ROOT/.apt-updated"
  fi
  log "installing $*"
  # Install only: nginx's package would start a system-wide server on port 80 otherwise.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  local status=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2 || status=$?
  rm -f /usr/sbin/policy-rc.d
  return "$status"
}

ensure_packages() {
  mkdir -p "$ROOT"
  local wanted=()
  [ -x "$PG_BIN/initdb" ] || wanted+=(postgresql-15)
  command -v redis-server >/dev/null || wanted+=(redis-server)
  [ -x /usr/bin/chromium ] || wanted+=(chromium)
  [ -x /usr/sbin/nginx ] || wanted+=(nginx)  # tests/deploy/test_nginx.py runs deploy/nginx/ for real
  if [ ${#wanted[@]} -gt 0 ]; then apt_install "${wanted[@]}"; fi
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then return; fi
  rm -rf "$ROOT/pg"
  mkdir -p "$ROOT/pg"
  chmod 755 "$ROOT"
  if [ "$(id -u)" = 0 ]; then chown postgres "$ROOT/pg"; fi
  as_postgres "$PG_BIN/initdb" -D "$ROOT/pg" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  as_postgres "$PG_BIN/pg_ctl" -D "$ROOT/pg" -l "$ROOT/pg/server.log" -w -t 60 start -o \
    "-p $PG_PORT -k $ROOT/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
     -c full_page_writes=off -c max_connections=300 -c shared_buffers=256MB" >/dev/null
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres jwo 2>/dev/null || true  # DATABASE_URL's own
  log "PostgreSQL 15 on 127.0.0.1:$PG_PORT"
}

start_redis() {
  if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then return; fi
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$ROOT/redis.pid" --logfile "$ROOT/redis.log" >/dev/null
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  log "Redis on 127.0.0.1:$REDIS_PORT"
}

case "${1:-start}" in
  start)
    ensure_packages
    start_postgres
    start_redis
    echo "export DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/jwo"
    echo "export REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
    echo "export JWO_CHROMIUM=/usr/bin/chromium"
    ;;
  stop)
    if [ -d "$ROOT/pg" ]; then as_postgres "$PG_BIN/pg_ctl" -D "$ROOT/pg" -m fast stop >/dev/null 2>&1 || true; fi
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
