"""After a 500 the server keeps the keep-alive connection: the client's next request on it is
answered (it used to be reset, because the last-resort handler re-raised the exception)."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from pathlib import Path

import uvicorn

from api.main import create_app
from core.config import Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_connection_survives_a_server_error(tmp_path: Path) -> None:
    app = create_app(settings=Settings(data_dir=tmp_path))

    @app.get("/api/v1/_boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="critical")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/api/v1/_boom")
        first = conn.getresponse()
        body = first.read().decode()
        assert first.status == 500 and "secret" not in body and "Hệ thống gặp lỗi" in body
        conn.request("GET", "/api/v1/khong-co")  # the same connection
        second = conn.getresponse()
        assert second.status == 404
        second.read()
        conn.close()
    finally:
        server.should_exit = True
        thread.join(10)
