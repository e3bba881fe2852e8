"""`troly run --workers N` hands its listening socket to worker processes as uvicorn does (issue
13). Labelled protocol 0 there, asyncio in the worker never set TCP_NODELAY on accepted
connections and every kept-alive response waited ~45 ms for a delayed ACK. This runs the same
hand-over (a spawned process, an asyncio server on the inherited socket) and asks the accepted
connection whether Nagle is off."""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
import time

import uvicorn

from cli.run import tcp_listener


def _report_nodelay(sock: socket.socket) -> None:
    """In a worker process: serve one connection, answering its TCP_NODELAY flag."""

    async def main() -> None:
        done = asyncio.Event()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            accepted: socket.socket = writer.get_extra_info("socket")
            flag = accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            writer.write(b"1" if flag else b"0")
            await writer.drain()
            writer.close()
            done.set()

        server = await asyncio.start_server(handle, sock=sock)
        async with server:
            await asyncio.wait_for(done.wait(), timeout=60)

    asyncio.run(main())


def _connect(address: tuple[str, int]) -> socket.socket:
    """A connection once the worker listens (uvicorn's socket is bound, not yet listening)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return socket.create_connection(address, timeout=60)
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_worker_connections_have_nagle_off() -> None:
    config = uvicorn.Config("api.main:create_app", factory=True, host="127.0.0.1", port=0)
    listener = tcp_listener(config)
    worker = multiprocessing.get_context("spawn").Process(target=_report_nodelay, args=(listener,))
    worker.start()
    try:
        with _connect(listener.getsockname()) as client:
            assert client.recv(1) == b"1"
    finally:
        worker.join(timeout=60)
        listener.close()
    assert worker.exitcode == 0
