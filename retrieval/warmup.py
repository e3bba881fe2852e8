"""Loading the embedding model after the process already serves (issues 10 and 13).

Loading e5 takes under a second through ONNX Runtime (8-25 s when torch must load it, for a
folder without the exported graph). Until it is in, search runs lexical-only (the answer and
/metrics say so, /readyz is 503 with the reason); then the retriever builds its hybrid index
beside the lexical one and swaps it in, without a restart.

The load runs in a daemon thread rather than the event loop's executor: a model half-loaded
when the process is told to stop must not hold up its exit (asyncio.run joins executor
threads on the way out).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

from retrieval.embedder import Embedder

log = logging.getLogger(__name__)

T = TypeVar("T")

# Pause before retrying a failed switch to hybrid (e.g. the database was briefly unreachable).
RETRY_SECONDS = 5.0
# How long a fresh process's first index waits for the model (ModelLoad.wait_briefly); a torch
# load (8-25 s, folders without the ONNX graph) takes longer: lexical first, hybrid after.
MODEL_FIRST_SECONDS = 3.0


def in_daemon_thread(fn: Callable[[], T]) -> asyncio.Future[T]:
    """Run `fn` in a daemon thread; its result arrives on the calling event loop."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return  # the waiter was cancelled
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            outcome: tuple[T | None, BaseException | None] = (fn(), None)
        except BaseException as error:
            outcome = (None, error)
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=run, name="model-load", daemon=True).start()
    return future


def freeze_heap() -> None:
    """The model, its libraries and the index are in for good: keep the garbage collector's
    full passes off them (each scanned ~2M objects, a ~0.3 s pause in every request whenever
    a catch-up made one run). Called once hybrid search serves; again is harmless."""
    gc.freeze()


class ModelLoad:
    """Loads the embedder once in the background and hands it to `adopt` (retried until it
    succeeds), or to `absent` when the model turns out unusable."""

    def __init__(
        self,
        load: Callable[[], Embedder | None],
        adopt: Callable[[Embedder], Awaitable[None]],
        absent: Callable[[], None],
    ) -> None:
        self._load = load
        self._adopt = adopt
        self._absent = absent
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="model-load")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def wait(self) -> None:
        """Until the model serves (or is known to be absent)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def wait_briefly(self, seconds: float) -> None:
        """Until the model is in, for at most `seconds`: through ONNX Runtime it loads in
        about a second, and a fresh process's first index is then built once, hybrid,
        rather than lexical and again with the vectors (at 100k chunks, seconds of work)."""
        if self.running:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wait(), seconds)

    async def _run(self) -> None:
        try:
            embedder = await in_daemon_thread(self._load)
        except Exception:
            log.exception("embedding model failed to load: search stays lexical-only")
            embedder = None
        if embedder is None:
            self._absent()
            return
        log.info("embedding model loaded; building the hybrid index in the background")
        while True:
            try:
                await self._adopt(embedder)
                log.info("search is hybrid now")
                freeze_heap()
                return
            except Exception:
                log.exception("switching search to hybrid failed; retrying")
                await asyncio.sleep(RETRY_SECONDS)

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
