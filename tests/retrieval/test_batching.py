"""Concurrent questions share one encoder pass (issue 13): each caller gets its own row, a lone
question is not held back, a failure reaches every caller of its batch, and with the real
model a batched vector is the one the question gets alone."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from core.config import Settings
from retrieval.batching import Combiner
from retrieval.embedder import load_embedder


class _Gated:
    """A batch function that holds its first call until released, recording every batch."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.batches: list[list[int]] = []

    def __call__(self, items: Sequence[int]) -> list[int]:
        self.batches.append(list(items))
        self.entered.set()
        self.release.wait(timeout=30)
        if -1 in items:
            raise ValueError("bad item")
        return [i * 10 for i in items]


def test_callers_waiting_for_a_busy_encoder_share_the_next_pass() -> None:
    batch = _Gated()
    combine = Combiner(batch, max_batch=4)
    with ThreadPoolExecutor(max_workers=8) as pool:
        first = pool.submit(combine, 0)
        assert batch.entered.wait(timeout=10)  # the encoder is busy with item 0
        rest = [pool.submit(combine, i) for i in range(1, 8)]
        while len(combine._queue) < 7:  # all seven are queued behind it
            threading.Event().wait(0.01)
        batch.release.set()
        assert first.result(timeout=10) == 0
        assert [f.result(timeout=10) for f in rest] == [i * 10 for i in range(1, 8)]
    assert batch.batches[0] == [0]
    assert sorted(i for b in batch.batches[1:] for i in b) == list(range(1, 8))
    assert len(batch.batches) == 3 and max(len(b) for b in batch.batches) == 4


def test_a_lone_call_runs_at_once() -> None:
    batch = _Gated()
    batch.release.set()
    combine = Combiner(batch, max_batch=4)
    assert combine(3) == 30 and combine(4) == 40
    assert batch.batches == [[3], [4]]


def test_a_failed_batch_fails_each_of_its_callers_and_not_the_next() -> None:
    batch = _Gated()
    combine = Combiner(batch, max_batch=4)
    with ThreadPoolExecutor(max_workers=3) as pool:
        first = pool.submit(combine, 1)
        assert batch.entered.wait(timeout=10)
        bad, good = pool.submit(combine, -1), pool.submit(combine, 2)
        while len(combine._queue) < 2:
            threading.Event().wait(0.01)
        batch.release.set()
        assert first.result(timeout=10) == 10
        with pytest.raises(ValueError):
            bad.result(timeout=10)
        with pytest.raises(ValueError):
            good.result(timeout=10)  # shared the failing pass
    assert combine(5) == 50


QUESTIONS = [
    "chủ tịch ủy ban nhân dân xã tiếp công dân mấy ngày một tháng",
    "công chức tư pháp hộ tịch cần những năng lực gì",
    "thời hạn trả lời xin ý kiến nhanh",
    "sáng kiến được đánh giá theo tiêu chí nào",
    "ai giữ con dấu",
    "cán bộ xã được nghỉ phép bao nhiêu ngày trong năm",
]


def test_batched_question_vectors_match_encoding_alone(settings: Settings) -> None:
    embedder = load_embedder(settings)
    if embedder is None:
        pytest.skip("embedding model not installed")
    alone = np.stack([embedder.encode_queries([q])[0] for q in QUESTIONS])
    with ThreadPoolExecutor(max_workers=len(QUESTIONS)) as pool:
        together = np.stack(list(pool.map(embedder.encode_query, QUESTIONS)))
    cosines = (alone * together).sum(axis=1)
    assert cosines.min() > 0.995, cosines
