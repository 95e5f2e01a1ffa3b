#!/usr/bin/env bash
# Start the MLflow tracking and registry server that tuneops workers share.
#
#   mlflow/start-server.sh                         # SQLite store + local artifacts, loopback, port 5000
#   MLFLOW_BACKEND_STORE_URI=postgresql://mlflow@db/mlflow \
#   MLFLOW_ARTIFACTS_DESTINATION=s3://bucket/mlflow \
#   MLFLOW_HOST=0.0.0.0 MLFLOW_AUTH=basic MLFLOW_AUTH_ADMIN_PASSWORD=... mlflow/start-server.sh
#
# Environment (all optional):
#   MLFLOW_HOST, MLFLOW_PORT                       bind address (default 127.0.0.1:5000)
#   MLFLOW_BACKEND_STORE_URI                       runs and registry (default sqlite:///mlflow/mlflow.db;
#                                                  PostgreSQL for several concurrent writers)
#   MLFLOW_ARTIFACTS_DESTINATION                   artifact store (default mlflow/artifacts; s3://, gs://, ...)
#   MLFLOW_AUTH=basic                              enable basic auth (mlflow/basic_auth.ini); needs
#   MLFLOW_AUTH_ADMIN_PASSWORD                     the admin password on first start, never stored in the repo
#   MLFLOW_BIN                                     the mlflow executable (default: the repo's .venv, else PATH)
set -euo pipefail
cd "$(dirname "$0")/.."

MLFLOW_BIN="${MLFLOW_BIN:-}"
if [[ -z "$MLFLOW_BIN" ]]; then
  if [[ -x .venv/bin/mlflow ]]; then MLFLOW_BIN=.venv/bin/mlflow; else MLFLOW_BIN=mlflow; fi
fi
HOST="${MLFLOW_HOST:-127.0.0.1}"
PORT="${MLFLOW_PORT:-5000}"
BACKEND="${MLFLOW_BACKEND_STORE_URI:-sqlite:///mlflow/mlflow.db}"
ARTIFACTS="${MLFLOW_ARTIFACTS_DESTINATION:-mlflow/artifacts}"
mkdir -p mlflow/artifacts

args=(server --backend-store-uri "$BACKEND" --artifacts-destination "$ARTIFACTS"
      --host "$HOST" --port "$PORT" --workers 1)
if [[ "${MLFLOW_AUTH:-none}" == "basic" ]]; then
  if [[ -z "${MLFLOW_AUTH_ADMIN_PASSWORD:-}" && ! -f mlflow/basic_auth.db ]]; then
    echo "MLFLOW_AUTH=basic needs MLFLOW_AUTH_ADMIN_PASSWORD on first start (there is no default password)" >&2
    exit 2
  fi
  export MLFLOW_AUTH_CONFIG_PATH="${MLFLOW_AUTH_CONFIG_PATH:-$PWD/mlflow/basic_auth.ini}"
  args+=(--app-name basic-auth)
fi
exec "$MLFLOW_BIN" "${args[@]}"
