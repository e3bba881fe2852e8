"""The persisted index in settings.index_dir: token cache, FAISS file and a manifest.

Every save writes a new *generation* of data files under fresh names, then atomically
replaces `manifest.json` (temp file + fsync + rename) to point at them. The manifest rename is
the commit point: a crash at any moment leaves either the old or the new generation complete,
and the manifest's revision says which knowledge-base revision it reflects. Anything that does
not load cleanly is reported as missing, and the caller rebuilds from the database.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.dense import DenseIndex
from retrieval.text import TOKENIZER_VERSION

log = logging.getLogger(__name__)

FORMAT = 1
MANIFEST = "manifest.json"


@dataclass
class Persisted:
    """What a manifest generation holds."""

    revision: int
    chunk_ids: np.ndarray  # int64, row order of the token cache
    tokens: list[list[str]]  # accented BM25 tokens per row
    model: str | None  # embedding model name the dense file was built with
    dense: DenseIndex | None
    # Document titles the passages were indexed with (the title is part of the indexed text).
    titles: dict[int, str]


def _fsync_write(path: Path, write: object) -> None:
    tmp = path.with_name(path.name + f".tmp-{uuid.uuid4().hex[:8]}")
    with open(tmp, "wb") as fh:
        write(fh)  # type: ignore[operator]
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _encode_tokens(tokens: list[list[str]]) -> dict[str, np.ndarray]:
    vocab: dict[str, int] = {}
    ids = np.fromiter(
        (vocab.setdefault(t, len(vocab)) for doc in tokens for t in doc),
        dtype=np.uint32,
        count=sum(len(doc) for doc in tokens),
    )
    offsets = np.zeros(len(tokens) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(doc) for doc in tokens])
    words = np.array(list(vocab), dtype=str) if vocab else np.array([], dtype="<U1")
    return {"ids": ids, "offsets": offsets, "vocab": words}


def _decode_tokens(data: dict[str, np.ndarray]) -> list[list[str]]:
    vocab = data["vocab"].tolist()
    ids, offsets = data["ids"], data["offsets"]
    words = [vocab[i] for i in ids.tolist()]
    return [words[offsets[r] : offsets[r + 1]] for r in range(len(offsets) - 1)]


class IndexStore:
    """Reads and writes index generations in one directory."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive lock across processes (bot and API may share one data dir)."""
        with open(self.dir / ".lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def manifest(self) -> dict[str, object] | None:
        """The current manifest, or None when absent or unreadable."""
        try:
            data = json.loads((self.dir / MANIFEST).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return None
        return data

    def load(self) -> Persisted | None:
        """The current generation, or None if anything is missing or inconsistent."""
        m = self.manifest()
        if m is None:
            return None
        if m.get("tokenizer") != TOKENIZER_VERSION:
            log.info("search index was built with another tokeniser; it will be rebuilt")
            return None
        try:
            chunk_ids = np.asarray(m["chunk_ids"], dtype=np.int64)
            with np.load(self.dir / str(m["tokens_file"]), allow_pickle=False) as npz:
                tokens = _decode_tokens({k: npz[k] for k in ("ids", "offsets", "vocab")})
            if len(tokens) != len(chunk_ids):
                raise ValueError("token cache and manifest disagree")
            dense = None
            if m.get("dense_file"):
                dense = DenseIndex.load(self.dir / str(m["dense_file"]))
                if not np.array_equal(np.sort(dense.ids()), np.sort(chunk_ids)):
                    raise ValueError("dense index and manifest disagree")
            revision = int(m["revision"])  # type: ignore[call-overload]
        except Exception as exc:  # corrupt files of any kind mean "rebuild"
            log.warning("search index in %s is unreadable (%s); it will be rebuilt", self.dir, exc)
            return None
        model = m.get("model")
        raw_titles = m.get("titles")
        titles = (
            {int(k): str(v) for k, v in raw_titles.items()} if isinstance(raw_titles, dict) else {}
        )
        return Persisted(
            revision, chunk_ids, tokens, model if isinstance(model, str) else None, dense, titles
        )

    def save(self, state: Persisted) -> None:
        """Write a new generation and switch the manifest to it (call under lock())."""
        gen = uuid.uuid4().hex[:12]
        tokens_file = f"tokens-{gen}.npz"
        arrays = _encode_tokens(state.tokens)
        _fsync_write(
            self.dir / tokens_file,
            lambda fh: np.savez(
                fh, ids=arrays["ids"], offsets=arrays["offsets"], vocab=arrays["vocab"]
            ),
        )
        dense_file = None
        if state.dense is not None:
            dense_file = f"dense-{gen}.faiss"
            tmp = self.dir / f"{dense_file}.tmp"
            state.dense.save(tmp)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, self.dir / dense_file)
        manifest = {
            "format": FORMAT,
            "tokenizer": TOKENIZER_VERSION,
            "revision": state.revision,
            "model": state.model if state.dense is not None else None,
            "generation": gen,
            "tokens_file": tokens_file,
            "dense_file": dense_file,
            "count": len(state.chunk_ids),
            "chunk_ids": state.chunk_ids.tolist(),
            "titles": {str(k): v for k, v in state.titles.items()},
        }
        body = json.dumps(manifest).encode("utf-8")
        _fsync_write(self.dir / MANIFEST, lambda fh: fh.write(body))
        self._collect(keep={tokens_file, dense_file})

    def _collect(self, keep: set[str | None]) -> None:
        """Delete data files of older generations (and temp files left by a crash)."""
        for path in self.dir.iterdir():
            if path.name in (MANIFEST, ".lock") or path.name in keep:
                continue
            if path.name.startswith(("tokens-", "dense-", MANIFEST + ".tmp")):
                with contextlib.suppress(OSError):
                    path.unlink()
