#!/usr/bin/env bash
# Run the checks: lint, types, then the test suite (SQLite always; PostgreSQL when
# TEST_DATABASE_URL is set, e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy core knowledge retrieval bot api cli
.venv/bin/pytest -q "$@"
