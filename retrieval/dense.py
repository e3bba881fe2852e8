"""Dense index: exact inner product over L2-normalised e5 vectors (FAISS), ids = Chunk.id.

Exact search is chosen over an approximate one: at 100k chunks x 384 dims a flat scan is a
few milliseconds, needs no training, and supports add/remove by id without drift.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faiss
import numpy as np


class DenseIndex:
    """FAISS IndexIDMap2 over IndexFlatIP; cosine similarity because vectors are normalised."""

    def __init__(self, dim: int, index: Any = None) -> None:
        self.dim = dim
        # faiss' type stubs are incomplete (selectors, id arrays), hence Any.
        self.index: Any = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def ids(self) -> np.ndarray:
        """Chunk ids held, in storage order."""
        return faiss.vector_to_array(self.index.id_map).astype(np.int64)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under chunk ids (the caller never adds an id twice)."""
        if len(ids):
            self.index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64)
            )

    def remove(self, ids: np.ndarray) -> None:
        """Drop chunk ids (unknown ids are ignored)."""
        if len(ids):
            self.index.remove_ids(ids.astype(np.int64))

    def search(
        self, query: np.ndarray, n: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-n (ids, cosines) for one query vector, optionally only among allowed ids."""
        if not len(self) or n <= 0:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        params = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(allowed.astype(np.int64))
            params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        scores, ids = self.index.search(q, min(n, len(self)), params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def similarities(self, query: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Exact cosine between the query and the given chunk ids (all must be present)."""
        if not len(ids):
            return np.empty(0, np.float32)
        vectors: np.ndarray = self.index.reconstruct_batch(ids.astype(np.int64))
        return np.asarray(vectors @ query.reshape(-1).astype(np.float32), dtype=np.float32)

    def save(self, path: Path) -> None:
        """Write the index to one file (the caller renames it into place)."""
        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        """Read an index written by save()."""
        # read_index already returns the concrete type. Wrapping it in downcast_index would
        # hand back a proxy that does not own the C++ object, and the ids were freed with it.
        index = faiss.read_index(str(path))
        return cls(int(index.d), index)
