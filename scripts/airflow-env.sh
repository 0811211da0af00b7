# Sourced by the scripts: the environment of the local Airflow (make demo / test / run).
# AIRFLOW_HOME is set before anything imports airflow, so nothing lands in ~/airflow.
ROOT="${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$ROOT/.local/airflow}"
export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/dags"
export AIRFLOW__CORE__PLUGINS_FOLDER="$ROOT/plugins"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-4}"
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="${AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION:-False}"
export AIRFLOW__LOGGING__LOGGING_LEVEL="${AIRFLOW__LOGGING__LOGGING_LEVEL:-INFO}"
export NEWSMON_CONFIG_DIR="${NEWSMON_CONFIG_DIR:-$ROOT/config}"
mkdir -p "$AIRFLOW_HOME"
# A per-machine JWT secret (64+ bytes, so pyjwt does not warn), made once and never committed.
if [ ! -s "$AIRFLOW_HOME/.jwt_secret" ]; then
  head -c 48 /dev/urandom | base64 | tr -d '\n=' > "$AIRFLOW_HOME/.jwt_secret"
  head -c 48 /dev/urandom | base64 | tr -d '\n=' >> "$AIRFLOW_HOME/.jwt_secret"
fi
export AIRFLOW__API_AUTH__JWT_SECRET="${AIRFLOW__API_AUTH__JWT_SECRET:-$(cat "$AIRFLOW_HOME/.jwt_secret")}"
export PATH="$ROOT/.venv/bin:$PATH"
