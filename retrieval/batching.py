"""Concurrent questions share one forward pass of the encoder (issue 13).

A query encode is ~22 ms, ~13 ms of it a fixed cost per call, and the encoder runs one pass at
a time: under load, questions queued behind each other each paid the fixed cost. Here a
question joins a queue; whichever thread finds the encoder free encodes everything queued
(up to `max_batch`) in one call and hands each caller its row ("group commit"). There is no
timer: a lone question is encoded at once, and batches form only while the encoder is busy.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class _Slot(Generic[T, R]):
    item: T
    done: bool = False
    result: R | None = None
    error: BaseException | None = None


class Combiner(Generic[T, R]):
    """Runs `batch(items) -> results` (same length, same order) for items submitted by many
    threads, one call at a time, each call taking every item waiting for it."""

    def __init__(self, batch: Callable[[Sequence[T]], Sequence[R]], max_batch: int) -> None:
        self._batch = batch
        self._max = max(1, max_batch)
        self._queue: list[_Slot[T, R]] = []
        self._queue_lock = threading.Lock()
        self._running = threading.Lock()  # held by the thread running a batch
        self.calls = 0  # batches run (for tests and benchmarks)

    def __call__(self, item: T) -> R:
        slot: _Slot[T, R] = _Slot(item)
        with self._queue_lock:
            self._queue.append(slot)
        while not slot.done:
            with self._running:
                if not slot.done:  # else a batch that ran meanwhile took it
                    self._run_one_batch()
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]

    def _run_one_batch(self) -> None:
        with self._queue_lock:
            slots, self._queue = self._queue[: self._max], self._queue[self._max :]
        self.calls += 1
        try:
            results = self._batch([s.item for s in slots])
            if len(results) != len(slots):
                raise RuntimeError("batch returned a different number of results")
            for slot, result in zip(slots, results, strict=True):
                slot.result = result
        except BaseException as error:  # every caller of this batch sees the failure
            for slot in slots:
                slot.error = error
        for slot in slots:
            slot.done = True
