"""Time from `troly run --role api` process start to the first /healthz 200 and /readyz 200.

A data directory is prepared once (starter knowledge base seeded, index built and persisted),
then each run restarts on a fresh copy of it with nothing changed, the situation of a redeploy;
with `--without-index` the copy has no index (a new replica without a snapshot: it encodes the
whole knowledge base before /readyz turns 200). `--code DIR` runs another checkout (e.g. a
`git worktree` of an older commit) with this venv. Measures wall time: run it alone.

    .venv/bin/python benchmarks/bench_startup.py --runs 3 [--without-index] [--code /tmp/old]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
RUNNER = "import sys; from cli.main import app; sys.argv = ['troly', *sys.argv[1:]]; app()"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(code: Path, data: Path, models: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(code),
        "TROLY_DATA_DIR": str(data),
        "TROLY_MODELS_DIR": str(models),
        "TROLY_API_PORT": str(port),
        "TROLY_BOT_TOKEN": "",
    }
    command = [sys.executable, "-c", RUNNER, "run", "--role", "api"]
    proc = subprocess.Popen(
        command, cwd=data.parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return proc, f"http://127.0.0.1:{port}"


def wait_for(url: str, started: float, limit: float = 300.0) -> float:
    """Seconds from `started` until `url` answers 200."""
    with httpx.Client(timeout=5) as http:
        while time.monotonic() - started < limit:
            try:
                if http.get(url).status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    raise TimeoutError(url)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--code", type=Path, default=REPO)
    parser.add_argument("--models", type=Path, default=REPO / "data" / "models")
    parser.add_argument("--without-index", action="store_true", help="start with no index")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template" / "data"
        template.parent.mkdir()
        proc, base = start(args.code, template, args.models)
        prepared = wait_for(base + "/readyz", time.monotonic() - 0.0, limit=900)
        stop(proc)
        print(f"prepared (seed + first index build) in {prepared:.1f} s", flush=True)
        healthy, ready = [], []
        for run in range(args.runs):
            copy = Path(tmp) / f"run{run}" / "data"
            shutil.copytree(template, copy)
            if args.without_index:
                shutil.rmtree(copy / "index")
            started = time.monotonic()
            proc, base = start(args.code, copy, args.models)
            try:
                healthy.append(wait_for(base + "/healthz", started))
                ready.append(wait_for(base + "/readyz", started))
            finally:
                stop(proc)
            print(f"run {run + 1}: /healthz {healthy[-1]:.2f} s, /readyz {ready[-1]:.2f} s")
        print(
            f"median of {args.runs}: /healthz {statistics.median(healthy):.2f} s, "
            f"/readyz {statistics.median(ready):.2f} s (load average {os.getloadavg()[0]:.1f})"
        )


if __name__ == "__main__":
    main()
