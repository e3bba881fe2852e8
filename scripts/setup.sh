#!/usr/bin/env bash
# Set up Trợ lý Cơ sở on a fresh machine: virtualenv, dependencies, offline embedding model,
# database schema and the starter knowledge base. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
[ -x .venv/bin/python ] || "$PY" -m venv .venv

pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@"; }
pip install --upgrade pip
# torch first and pinned: a bare "torch" requirement would pull a multi-GB CUDA build.
pip install "torch==2.13.0"
pip install -e ".[dev]"

# Without a model the product still runs, lexical-only, and says so at start-up and in `troly doctor`.
.venv/bin/troly models install || echo "WARNING: embedding model not installed; search runs lexical-only." >&2
.venv/bin/troly migrate
.venv/bin/troly kb seed
echo "Đã cài đặt xong. Chạy: .venv/bin/troly run"
