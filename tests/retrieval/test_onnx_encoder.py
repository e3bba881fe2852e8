"""The ONNX question encoder against the sentence-transformers model it was exported from,
and the start-up it buys: questions are answered without importing torch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.config import Settings
from retrieval.embedder import Embedder, load_embedder
from retrieval.model_install import install_model
from tests.retrieval.test_model_install import PASSAGES, QUERIES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def exact(models_dir: Path) -> Embedder:
    settings = Settings(models_dir=models_dir, embedding_dtype="float32")
    install_model(settings)  # no-op when already built
    loaded = load_embedder(settings)
    assert loaded is not None and loaded.runtime == "onnx"
    return loaded


def test_graph_and_torch_give_the_same_vectors(exact: Embedder) -> None:
    # Both float32: the same arithmetic up to summation order.
    assert exact.runtimes_agree(PASSAGES + [q for q, _ in QUERIES]) > 0.99999


def test_questions_rank_alike_through_either_runtime(exact: Embedder) -> None:
    questions = [q for q, _ in QUERIES]
    fast = exact.encode_queries(questions) @ exact.encode_passages(PASSAGES).T
    many = PASSAGES * 12  # above ONNX_MAX_INPUT: torch encodes these
    slow = exact.encode_passages(many)[: len(PASSAGES)]
    assert fast.argmax(axis=1).tolist() == [i for _, i in QUERIES]
    assert (exact.encode_queries(questions) @ slow.T).argmax(axis=1).tolist() == [
        i for _, i in QUERIES
    ]


def test_a_question_is_answered_without_importing_torch(models_dir: Path) -> None:
    # What makes a replica ready in about a second: torch and sentence-transformers (~5 s,
    # ~500 MB) stay out until a batch large enough for indexing arrives.
    script = (
        "import json, sys\n"
        "from core.config import Settings\n"
        "from retrieval.embedder import load_embedder\n"
        f"e = load_embedder(Settings(models_dir={str(models_dir)!r}))\n"
        "v = e.encode_query('chủ tịch xã tiếp công dân mấy ngày')\n"
        "before = 'torch' in sys.modules\n"
        "e.encode_passages(['đoạn văn'] * 40)\n"
        "print(json.dumps([before, 'torch' in sys.modules, float(v @ v)]))\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True
    )
    before, after, norm = json.loads(out.stdout.strip().splitlines()[-1])
    assert before is False and after is True
    assert np.isclose(norm, 1.0)


def test_a_question_does_not_wait_behind_an_indexing_batch(exact: Embedder) -> None:
    import threading
    import time

    finished: list[str] = []
    started = threading.Event()

    def index() -> None:
        started.set()
        exact.encode_passages([" ".join(PASSAGES)] * 160)  # torch: seconds of work
        finished.append("index")

    exact.model  # noqa: B018 - torch loaded first: the race is about encoding, not loading
    worker = threading.Thread(target=index)
    worker.start()
    started.wait()
    time.sleep(0.5)  # the batch is running by now: it takes seconds
    exact.encode_queries(["Công chức xã được nghỉ phép năm bao nhiêu ngày?"])
    finished.append("question")
    worker.join()
    assert finished == ["question", "index"]
