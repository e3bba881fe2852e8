"""`troly run --role api --workers 2`: whichever process answers /metrics reports both
(prometheus-client multiprocess mode): request counts summed over the two, each process's own
figures (memory, index) with its pid, and the result parses as Prometheus text."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

REPO = Path(__file__).resolve().parents[2]
RUNNER = "import sys; from cli.main import app; sys.argv = ['troly', *sys.argv[1:]]; app()"
HEALTH_ROUTE = "/healthz"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = defaultdict(list)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[sample.name].append((sample.labels, sample.value))
    return found


def test_one_scrape_reports_every_worker(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TROLY_")},
        "PYTHONPATH": str(REPO),
        "TROLY_DATA_DIR": str(tmp_path / "data"),
        "TROLY_MODELS_DIR": str(tmp_path / "no-models"),  # lexical-only: a fast start
        "TROLY_API_PORT": str(port),
        "TROLY_WORKER_INTERVAL_SECONDS": "0.3",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = open(tmp_path / "run.log", "wb")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(
        [sys.executable, "-c", RUNNER, "run", "--role", "api", "--workers", "2"],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(timeout=10) as http:
            samples: dict[str, list[tuple[dict[str, str], float]]] = {}
            pids: set[str] = set()
            for _ in range(600):  # both workers up and each has reported its own figures
                assert proc.poll() is None, (tmp_path / "run.log").read_text()[-3000:]
                try:
                    samples = _samples(http.get(base + "/metrics").text)
                except httpx.TransportError:
                    time.sleep(0.2)
                    continue
                memory = samples["troly_resident_memory_bytes"]
                pids = {labels["pid"] for labels, value in memory if value > 10e6}
                if len(pids) == 2:
                    break
                time.sleep(0.2)
            assert len(pids) == 2, samples.get("troly_resident_memory_bytes")

            def healthz_count() -> float:
                metric = _samples(http.get(base + "/metrics").text)
                return sum(
                    value
                    for labels, value in metric["troly_http_request_duration_seconds_count"]
                    if labels["route"] == HEALTH_ROUTE
                )

            before = healthz_count()
            # New connections each time: the kernel spreads them over both workers.
            for _ in range(40):
                with httpx.Client(timeout=10) as one_off:
                    assert one_off.get(base + HEALTH_ROUTE).status_code == 200
            assert healthz_count() - before == 40  # both workers' requests, in one scrape
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
