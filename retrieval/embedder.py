"""The dense encoder: multilingual-e5-small through sentence-transformers, loaded from a local
folder only (never the network), with the e5 `query: ` / `passage: ` prompts.

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

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

Dtype = Literal["float32", "bfloat16"]
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
    """Encodes questions and passages into L2-normalised float32 vectors."""

    def __init__(
        self, model: SentenceTransformer, *, name: str, path: Path, dtype: Dtype, threads: int = 0
    ) -> None:
        self.model = model
        # Torch threads for batches (indexing); 0 means every core this process may use.
        self.threads = threads if threads > 0 else available_cores()
        self.name = name
        self.path = path
        self.dtype = dtype
        getter = getattr(model, "get_embedding_dimension", None)
        dim = getter() if getter else model.get_sentence_embedding_dimension()
        if dim is None:
            raise ValueError(f"{path}: model does not report its embedding dimension")
        self.dim: int = int(dim)
        # One forward pass at a time: parallel calls would only oversubscribe the cores.
        self._lock = threading.Lock()
        self._query_batches = Combiner(self._query_rows, QUERY_BATCH)

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
        import torch

        with self._lock, torch.inference_mode():
            _use_threads(1 if len(texts) <= SMALL_INPUT else self.threads)
            out = self.model.encode(
                list(texts),
                prompt=prompt,
                batch_size=max(1, batch_size),
                convert_to_numpy=True,
                normalize_embeddings=False,
                show_progress_bar=False,
            )
        vectors = np.asarray(out, dtype=np.float32)
        # Normalise in float32 even when the model ran in bfloat16.
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors /= np.maximum(norms, 1e-12)
        return np.ascontiguousarray(vectors)

    def __repr__(self) -> str:
        return f"Embedder({self.name!r}, dim={self.dim}, dtype={self.dtype}, path={self.path})"


def _load(path: Path, name: str, dtype: Dtype, threads: int) -> Embedder:
    # Belt and braces: the folder is local, and nothing may fall back to the hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    # "Loading weights" progress bars would clutter the CLI and the bot's logs.
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    _configure_threads()
    model_kwargs: dict[str, Any] = {"dtype": torch.bfloat16 if dtype == "bfloat16" else None}
    if (path / "troly-build.json").is_file():
        # Our build carries no pooler (mean pooling never uses it): don't create a random one.
        model_kwargs["add_pooling_layer"] = False
    model = SentenceTransformer(
        str(path),
        device="cpu",
        local_files_only=True,
        model_kwargs={k: v for k, v in model_kwargs.items() if v is not None},
    )
    model.eval()
    return Embedder(model, name=name, path=path, dtype=dtype, threads=threads)


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
    if settings.embedding_dtype == "auto":
        dtype: Dtype = "bfloat16" if _bf16_supported() else "float32"
    else:
        dtype = settings.embedding_dtype
    if dtype == "bfloat16" and not _bf16_supported():
        log.warning("This CPU has no native bfloat16 support; encoding in float32 instead.")
        dtype = "float32"
    key = (str(path.resolve()), dtype)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            return cached
        try:
            embedder = _load(path, settings.embedding_model, dtype, settings.embedding_threads)
        except Exception:
            log.exception("Embedding model in %s failed to load: search runs lexical-only.", path)
            return None
        _CACHE[key] = embedder
        return embedder
