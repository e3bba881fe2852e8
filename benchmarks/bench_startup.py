"""Time from `troly run --role api` process start to the first /healthz 200 and /readyz 200.

A data directory is prepared once (starter knowledge base seeded, index built and persisted),
then each run restarts on a fresh copy of it with nothing changed, the situation of a redeploy;
with `--without-index` the copy has no index (a new replica without a snapshot: it encodes the
whole knowledge base before /readyz turns 200). `--code DIR` runs another checkout (e.g. a
`git worktree` of an older commit) with this venv. Measures wall time: run it alone.

    .venv/bin/python benchmarks/bench_startup.py --runs 3 [--without-index | --both] [--quick]
    .venv/bin/python benchmarks/bench_startup.py --code /tmp/old

Idle RSS (the process and any children, a few seconds after /readyz) is printed per run.
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


def start(
    code: Path,
    data: Path,
    models: Path,
    *,
    env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
) -> tuple[subprocess.Popen[bytes], str]:
    """`troly run --role api [args]` on a free port; `env` adds TROLY_* settings."""
    port = _free_port()
    full_env = {
        **os.environ,
        "PYTHONPATH": str(code),
        "TROLY_DATA_DIR": str(data),
        "TROLY_MODELS_DIR": str(models),
        "TROLY_API_PORT": str(port),
        "TROLY_BOT_TOKEN": "",
        **(env or {}),
    }
    command = [sys.executable, "-c", RUNNER, "run", "--role", "api", *args]
    proc = subprocess.Popen(
        command, cwd=data.parent, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return proc, f"http://127.0.0.1:{port}"


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn workers), in MB."""
    total = 0.0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += next(
            int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")
        )
        pids += [int(c) for c in children]
    return total / 1024


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


def measure(args: argparse.Namespace, tmp: Path, template: Path, without_index: bool) -> None:
    healthy, ready, rss = [], [], []
    for run in range(args.runs):
        copy = tmp / f"run{run}-{int(without_index)}" / "data"
        shutil.copytree(template, copy)
        if without_index:
            shutil.rmtree(copy / "index")
        started = time.monotonic()
        proc, base = start(args.code, copy, args.models)
        try:
            healthy.append(wait_for(base + "/healthz", started))
            ready.append(wait_for(base + "/readyz", started))
            time.sleep(args.idle)  # let start-up garbage settle before reading idle memory
            rss.append(rss_mb(proc.pid))
        finally:
            stop(proc)
        print(
            f"run {run + 1}: /healthz {healthy[-1]:.2f} s, /readyz {ready[-1]:.2f} s, "
            f"idle RSS {rss[-1]:.0f} MB"
        )
    label = "without index snapshot" if without_index else "with index snapshot"
    print(
        f"{label}, median of {args.runs}: /healthz {statistics.median(healthy):.2f} s, "
        f"/readyz {statistics.median(ready):.2f} s, idle RSS {statistics.median(rss):.0f} MB "
        f"(load average {os.getloadavg()[0]:.1f})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--code", type=Path, default=REPO)
    parser.add_argument("--models", type=Path, default=REPO / "data" / "models")
    parser.add_argument("--without-index", action="store_true", help="start with no index")
    parser.add_argument("--both", action="store_true", help="with and without index, one run")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds idle before RSS")
    parser.add_argument("--quick", action="store_true", help="one run each, short idle")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.idle = 1, 1.0
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template" / "data"
        template.parent.mkdir()
        proc, base = start(args.code, template, args.models)
        prepared = wait_for(base + "/readyz", time.monotonic() - 0.0, limit=900)
        stop(proc)
        print(f"prepared (seed + first index build) in {prepared:.1f} s", flush=True)
        modes = [False, True] if args.both else [args.without_index]
        for without_index in modes:
            measure(args, Path(tmp), template, without_index)


if __name__ == "__main__":
    main()
