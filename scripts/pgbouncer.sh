#!/usr/bin/env bash
# A local PgBouncer in transaction pooling mode in front of the PostgreSQL at 127.0.0.1:5432,
# for the tests and CI (README "Running behind PgBouncer").
#
#   scripts/pgbouncer.sh start     install Debian's pgbouncer if missing, start one (or reuse
#                                  the one already running); prints its port
#   scripts/pgbouncer.sh stop      stop the one started here
#   scripts/pgbouncer.sh status    exit 0 when it is running and answers
#   scripts/pgbouncer.sh url [DB]  the DATABASE_URL through it, for DB (default: the database
#                                  of TEST_DATABASE_URL, else `test`), with ?pooler=transaction
#
# Environment: PGBOUNCER_DIR (config, auth file, log, pid; default /tmp/paylink-pgbouncer),
# PGBOUNCER_PORT (default 6432, or a free port when 6432 is taken by something else),
# PGBOUNCER_UPSTREAM_HOST / _PORT (default 127.0.0.1 / 5432).
# PgBouncer refuses to run as root: as root it runs as the `postgres` user.
set -euo pipefail

DIR="${PGBOUNCER_DIR:-/tmp/paylink-pgbouncer}"
UPSTREAM_HOST="${PGBOUNCER_UPSTREAM_HOST:-127.0.0.1}"
UPSTREAM_PORT="${PGBOUNCER_UPSTREAM_PORT:-5432}"
PIDFILE="$DIR/pgbouncer.pid"
PORTFILE="$DIR/port"

die() { echo "pgbouncer.sh: $*" >&2; exit 1; }

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

pgbouncer_bin() { command -v pgbouncer || { [ -x /usr/sbin/pgbouncer ] && echo /usr/sbin/pgbouncer; }; }

install_pgbouncer() {
  [ -n "$(pgbouncer_bin)" ] && return
  echo "pgbouncer.sh: installing Debian's pgbouncer" >&2
  sudo_if_needed apt-get update -qq
  # The package's own service is not wanted (and not started where policy-rc.d denies it).
  DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq pgbouncer >/dev/null
  [ -n "$(pgbouncer_bin)" ] || die "apt-get installed pgbouncer but no pgbouncer binary is found"
}

port_in_use() {  # $1: port; true when something listens on 127.0.0.1:$1
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

running_pid() {  # the pid of our PgBouncer when it is alive, else nothing
  [ -f "$PIDFILE" ] || return 0
  local pid
  pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null \
      && grep -q pgbouncer "/proc/$pid/cmdline" 2>/dev/null; then
    echo "$pid"
  fi
}

current_port() {
  if [ -f "$PORTFILE" ]; then cat "$PORTFILE"; else echo "${PGBOUNCER_PORT:-6432}"; fi
}

answers() {  # $1: port; a query through PgBouncer reaches PostgreSQL
  PGCONNECT_TIMEOUT=3 psql -X -q -h 127.0.0.1 -p "$1" -U postgres -d postgres -Atc 'SELECT 1' \
    >/dev/null 2>&1
}

pick_port() {
  local port="${PGBOUNCER_PORT:-6432}"
  if port_in_use "$port"; then
    [ -n "${PGBOUNCER_PORT:-}" ] && die "PGBOUNCER_PORT=$port is taken by another process"
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0));
print(s.getsockname()[1])')"
  fi
  echo "$port"
}

run_as_owner() {  # PgBouncer will not run as root
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

write_config() {  # $1: port
  mkdir -p "$DIR"
  chmod 755 "$DIR"
  # trust, as the local PostgreSQL: the auth file only has to name the users.
  printf '"postgres" ""\n' >"$DIR/userlist.txt"
  cat >"$DIR/pgbouncer.ini" <<EOF
; Written by scripts/pgbouncer.sh: paylink's tests through a transaction pooler.
[databases]
; Any database name, so the load tests' own paylink_load_<pid> databases work too.
* = host=$UPSTREAM_HOST port=$UPSTREAM_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $1
unix_socket_dir =
auth_type = trust
auth_file = $DIR/userlist.txt
admin_users = postgres
stats_users = postgres
pool_mode = transaction
; Every client connection of the load tests (2 instances x 2 workers x a pool each).
max_client_conn = 1000
default_pool_size = 20
; Hand out server connections in turn, not the most recently used one first: state that a
; client leaves on one backend (a PREPAREd name, a SET) is then missed or collided with soon,
; as with many app hosts on one pooler, instead of only under rare timing.
server_round_robin = 1
; psycopg sends these startup parameters; PgBouncer would refuse the connection otherwise.
ignore_startup_parameters = extra_float_digits,options
logfile = $DIR/pgbouncer.log
pidfile = $PIDFILE
EOF
  echo "$1" >"$PORTFILE"
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres: "$DIR"; fi
}

start() {
  install_pgbouncer
  command -v psql >/dev/null || die "psql is needed to check PgBouncer (apt-get install postgresql-client)"
  local pid port
  pid="$(running_pid)"
  if [ -n "$pid" ]; then
    port="$(current_port)"
    if answers "$port"; then
      echo "$port"
      return
    fi
    die "PgBouncer (pid $pid) on port $port does not answer; see $DIR/pgbouncer.log"
  fi
  port="$(pick_port)"
  write_config "$port"
  run_as_owner "$(pgbouncer_bin)" -q -d "$DIR/pgbouncer.ini" \
    || die "pgbouncer did not start; see $DIR/pgbouncer.log"
  local deadline=$((SECONDS + 15))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if answers "$port"; then
      echo "$port"
      return
    fi
    sleep 0.2
  done
  tail -20 "$DIR/pgbouncer.log" >&2 || true
  die "PgBouncer on 127.0.0.1:$port did not reach PostgreSQL at $UPSTREAM_HOST:$UPSTREAM_PORT"
}

stop() {
  local pid
  pid="$(running_pid)"
  [ -n "$pid" ] || return 0
  kill -INT "$pid"  # SIGINT: PgBouncer's immediate shutdown
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$PIDFILE"; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PIDFILE"
}

status() {
  [ -n "$(running_pid)" ] && answers "$(current_port)"
}

url() {  # $1: the database name
  local name="${1:-}"
  if [ -z "$name" ]; then
    name="${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}"
    name="${name%%\?*}"
    name="${name##*/}"
  fi
  echo "postgresql://postgres@127.0.0.1:$(current_port)/$name?pooler=transaction"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  url) url "${2:-}" ;;
  *) echo "usage: $0 start|stop|status|url [DB]" >&2; exit 2 ;;
esac
