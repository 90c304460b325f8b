#!/usr/bin/env bash
# The whole check: lint, types, migrations, then the test suite on PostgreSQL (when configured or
# answering on 127.0.0.1:5432) or SQLite. Under CI (CI=1) PostgreSQL is required and a second pass
# runs the suite on SQLite, the embedded default.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY="$VENV/bin/python"
export XINKAN_TESTING=1 PYTHONDONTWRITEBYTECODE=1

step() { printf '\n== %s\n' "$*"; }

step "ruff (lint and format)"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .

step "mypy"
"$VENV/bin/mypy" xinkan

step "migrations match the models"
DATABASE_URL= XINKAN_VAR_DIR="$(mktemp -d)" "$PY" manage.py makemigrations --check --dry-run >/dev/null

step "browser"
if ! command -v chromium >/dev/null 2>&1; then
  echo "Chromium is missing: the browser tests cannot run. Install it with:"
  echo "  apt-get install -y chromium fonts-wqy-microhei"
  exit 1
fi
chromium --version

pg_url=${DATABASE_URL:-}
if [ -z "$pg_url" ] && "$PY" - <<'PY' 2>/dev/null
import psycopg
psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3).close()
PY
then
  pg_url="postgresql://postgres@127.0.0.1:5432/xinkan"
fi

workers=${XINKAN_TEST_WORKERS:-2}
if [ -n "$pg_url" ]; then
  step "test suite on PostgreSQL (${pg_url%%@*}@…)"
  DATABASE_URL="$pg_url" "$PY" -m pytest -n "$workers" -p no:cacheprovider "$@"
  if [ "${CI:-}" != "" ]; then
    step "test suite on SQLite (the embedded default)"
    DATABASE_URL= "$PY" -m pytest -n "$workers" -p no:cacheprovider -m "not postgres_only" "$@"
  fi
else
  if [ "${CI:-}" != "" ]; then
    echo "CI requires PostgreSQL, and none is configured or answering on 127.0.0.1:5432." >&2
    exit 1
  fi
  step "test suite on SQLite (no PostgreSQL configured or answering)"
  DATABASE_URL= "$PY" -m pytest -n "$workers" -p no:cacheprovider -m "not postgres_only" "$@"
fi
