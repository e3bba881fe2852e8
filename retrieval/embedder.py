"""The dense encoder: multilingual-e5-small through ONNX Runtime and sentence-transformers,
loaded from a local folder only (never the network), with the e5 `query: ` / `passage: `
prompts.

`load_embedder(settings)` returns None when no model is installed; callers then run
lexical-only. Loaded models are cached per (folder, dtype) for the life of the process.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from core.config import Settings
from retrieval.batching import Combiner
from retrieval.model_install import PROMPTS, find_model
from retrieval.onnx_encoder import ONNX_FILE, OnnxEncoder

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

Dtype = Literal["float32", "bfloat16"]
DtypeSetting = Literal["auto", "float32", "bfloat16"]
_CACHE: dict[tuple[str, str], Embedder] = {}
_CACHE_LOCK = threading.Lock()
_THREADS_CONFIGURED = False
# Up to this many texts are encoded on one thread: a question's tiny matrix products gain
# little from a second thread, and on a busy host the threads' barrier waits made single
# queries 10x slower (20 ms vs 200+ ms p50 measured on the shared 2-core machine).
SMALL_INPUT = 4
# Concurrent questions encoded in one pass at most (retrieval/batching.py): small enough to
# stay on one thread, and short questions pad little.
QUERY_BATCH = SMALL_INPUT
# Up to this many texts go through ONNX Runtime (questions, a clause set, a small import);
# larger batches are indexing, where torch in bfloat16 on every core is about twice as fast.
ONNX_MAX_INPUT = 32


def available_cores() -> int:
    """CPU cores this process may run on (respects affinity / container CPU sets)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def limit_blas_threads() -> None:
    """Keep numpy's own OpenBLAS pool single-threaded so it never competes with torch.

    That pool (pthreads-based) spins after each call and steals the few cores from torch's
    intra-op threads: on the 2-core reference machine it made queries ~6x slower. OpenMP
    pools (torch's, faiss's) are left alone; faiss threads are the retriever's choice.
    """
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # optional: without it only the slowdown remains
        return
    controller = ThreadpoolController()
    pools = [
        lib
        for lib in controller.lib_controllers
        if lib.internal_api == "openblas" and getattr(lib, "threading_layer", "") == "pthreads"
    ]
    for lib in pools:
        lib.set_num_threads(1)


def _configure_threads() -> None:
    """numpy's BLAS pool gets one thread, once per process."""
    global _THREADS_CONFIGURED
    if not _THREADS_CONFIGURED:
        limit_blas_threads()
        _THREADS_CONFIGURED = True


def _use_threads(threads: int) -> None:
    import torch

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)  # a global switch, cheap (well under a microsecond)


def _bf16_supported() -> bool:
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


class Embedder:
    """Encodes questions and passages into L2-normalised float32 vectors.

    Two runtimes of the same weights: ONNX Runtime for questions and other small inputs
    (loads in under a second, 13 ms per question on one thread), torch through
    sentence-transformers for larger batches of passages (indexing), where bfloat16 is about
    twice as fast. torch is loaded only when such a batch first comes, so a replica whose index
    is already built never pays its ~5 s import and ~500 MB (retrieval/onnx_encoder.py).
    Folders without the ONNX graph (older builds, a user's own model) run on torch alone.
    """

    def __init__(
        self,
        *,
        name: str,
        path: Path,
        dtype: DtypeSetting,
        threads: int = 0,
        fast: OnnxEncoder | None = None,
        model: SentenceTransformer | None = None,
    ) -> None:
        self.name = name
        self.path = path
        self._dtype_setting = dtype
        self._fast = fast
        self._model = model
        # Torch threads for batches (indexing); 0 means every core this process may use.
        self.threads = threads if threads > 0 else available_cores()
        self.dim: int = fast.dim if fast is not None else _dimension(self.model)
        # One forward pass per runtime at a time: parallel calls would only oversubscribe the
        # cores. The runtimes have a lock each, so a question (ONNX, one thread) never waits
        # behind an indexing batch on torch (~1 s for 32 long passages).
        self._lock = threading.Lock()
        self._torch_lock = threading.Lock()
        self._model_lock = threading.Lock()
        self._query_batches = Combiner(self._query_rows, QUERY_BATCH)

    @property
    def model(self) -> SentenceTransformer:
        """The sentence-transformers model, loaded on first use."""
        with self._model_lock:
            if self._model is None:
                self._model = _load_torch(self.path, self.dtype)
            return self._model

    @property
    def runtime(self) -> Literal["onnx", "torch"]:
        """What encodes questions: ONNX Runtime when the folder has the exported graph."""
        return "onnx" if self._fast is not None else "torch"

    @property
    def dtype(self) -> Dtype:
        """What torch computes in (ONNX Runtime always runs float32)."""
        if self._dtype_setting != "auto":
            return self._dtype_setting
        return "bfloat16" if _bf16_supported() else "float32"

    def encode_query(self, text: str) -> npt.NDArray[np.float32]:
        """One question's vector; questions asked at the same moment share a forward pass."""
        return self._query_batches(text)

    def encode_queries(self, texts: Sequence[str], batch_size: int = 32) -> npt.NDArray[np.float32]:
        """Vectors for questions (`query: ` prompt), one row per text."""
        return self._encode(texts, PROMPTS["query"], batch_size)

    def _query_rows(self, texts: Sequence[str]) -> list[npt.NDArray[np.float32]]:
        return list(self.encode_queries(texts))

    def encode_passages(
        self, texts: Sequence[str], batch_size: int = 32
    ) -> npt.NDArray[np.float32]:
        """Vectors for knowledge-base passages (`passage: ` prompt), one row per text."""
        return self._encode(texts, PROMPTS["passage"], batch_size)

    def _encode(
        self, texts: Sequence[str], prompt: str, batch_size: int
    ) -> npt.NDArray[np.float32]:
        if isinstance(texts, str):
            raise TypeError("pass a list of texts, not a single string")
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._fast is not None and len(texts) <= ONNX_MAX_INPUT:
            return _unit_rows(self._encode_onnx(self._fast, texts, prompt))
        return _unit_rows(self._encode_torch(texts, prompt, batch_size))

    def _encode_onnx(
        self, fast: OnnxEncoder, texts: Sequence[str], prompt: str
    ) -> npt.NDArray[np.float32]:
        with self._lock:
            return fast.encode([prompt + t for t in texts])

    def _encode_torch(
        self, texts: Sequence[str], prompt: str, batch_size: int
    ) -> npt.NDArray[np.float32]:
        import torch

        model = self.model
        with self._torch_lock, torch.inference_mode():
            _use_threads(1 if len(texts) <= SMALL_INPUT else self.threads)
            out = model.encode(
                list(texts),
                prompt=prompt,
                batch_size=max(1, batch_size),
                convert_to_numpy=True,
                normalize_embeddings=False,
                show_progress_bar=False,
            )
        return np.asarray(out, dtype=np.float32)

    def runtimes_agree(self, texts: Sequence[str]) -> float:
        """The lowest cosine between ONNX Runtime's and torch's vectors of `texts` (1.0 when
        only torch runs): the self-test that the exported graph is the model."""
        if self._fast is None:
            return 1.0
        prompt = PROMPTS["passage"]
        fast = _unit_rows(self._encode_onnx(self._fast, texts, prompt))
        slow = _unit_rows(self._encode_torch(texts, prompt, len(texts)))
        return float(np.min(np.sum(fast * slow, axis=1)))

    def __repr__(self) -> str:
        return f"Embedder({self.name!r}, dim={self.dim}, {self.runtime}, path={self.path})"


def _unit_rows(vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Rows scaled to unit length, in float32 even when the model ran in bfloat16."""
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return np.ascontiguousarray(vectors)


def _dimension(model: SentenceTransformer) -> int:
    getter = getattr(model, "get_embedding_dimension", None)
    dim = getter() if getter else model.get_sentence_embedding_dimension()
    if dim is None:
        raise ValueError("the model does not report its embedding dimension")
    return int(dim)


def _load_torch(path: Path, dtype: Dtype) -> SentenceTransformer:
    # Belt and braces: the folder is local, and nothing may fall back to the hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    # "Loading weights" progress bars would clutter the CLI and the bot's logs.
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    if dtype == "bfloat16" and not _bf16_supported():
        log.warning("This CPU has no native bfloat16 support; encoding in float32 instead.")
        dtype = "float32"
    model_kwargs: dict[str, Any] = {"dtype": torch.bfloat16} if dtype == "bfloat16" else {}
    if (path / "troly-build.json").is_file():
        # Our build carries no pooler (mean pooling never uses it): don't create a random one.
        model_kwargs["add_pooling_layer"] = False
    model = SentenceTransformer(
        str(path), device="cpu", local_files_only=True, model_kwargs=model_kwargs
    )
    model.eval()
    return model


def _load(path: Path, name: str, dtype: DtypeSetting, threads: int) -> Embedder:
    _configure_threads()
    fast: OnnxEncoder | None = None
    if (path / ONNX_FILE).is_file():
        try:
            fast = OnnxEncoder(path)
        except Exception:
            log.exception("%s in %s failed to load: encoding with torch only", ONNX_FILE, path)
    return Embedder(name=name, path=path, dtype=dtype, threads=threads, fast=fast)


def load_embedder(settings: Settings) -> Embedder | None:
    """The configured embedder from local files, or None (lexical-only) if not installed."""
    path = find_model(settings)
    if path is None:
        log.warning(
            "Embedding model %s is not installed in %s: search runs lexical-only. "
            "Run `troly models install` to enable dense retrieval.",
            settings.embedding_model,
            settings.resolved_models_dir,
        )
        return None
    key = (str(path.resolve()), settings.embedding_dtype)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            return cached
        try:
            embedder = _load(
                path, settings.embedding_model, settings.embedding_dtype, settings.embedding_threads
            )
        except Exception:
            log.exception("Embedding model in %s failed to load: search runs lexical-only.", path)
            return None
        _CACHE[key] = embedder
        return embedder
