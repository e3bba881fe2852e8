"""The persisted index in settings.index_dir: token cache, FAISS file, lexical folder (both BM25
twins and the diacritic model, so a warm start rebuilds neither) and a manifest.

Every save writes a new *generation* of data files under fresh names, then atomically
replaces `manifest.json` (temp file + fsync + rename) to point at them. The manifest rename is
the commit point: a crash at any moment leaves either the old or the new generation complete,
and the manifest's revision says which knowledge-base revision it reflects. Anything that does
not load cleanly is reported as missing, and the caller rebuilds from the database; a manifest
without a lexical folder (written before it existed) or with an unreadable one loads without
it, and the caller rebuilds those parts from the tokens.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.files import write_atomic
from retrieval import restore
from retrieval.dense import DenseIndex
from retrieval.lexical import LexicalIndex
from retrieval.restore import DiacriticModel
from retrieval.text import TOKENIZER_VERSION
from retrieval.tokencache import TokenCache

log = logging.getLogger(__name__)

FORMAT = 1
MANIFEST = "manifest.json"


@dataclass
class Persisted:
    """What a manifest generation holds."""

    revision: int
    chunk_ids: np.ndarray  # int64, row order of the token cache
    tokens: Sequence[list[str]]  # accented BM25 tokens per row (a TokenCache when loaded)
    model: str | None  # embedding model name the dense file was built with
    dense: DenseIndex | None
    # Document titles the passages were indexed with (the title is part of the indexed text).
    titles: dict[int, str]
    # Both BM25 twins and the diacritic model over these rows; None when not saved (older
    # generations) or unreadable: the caller builds them from the tokens.
    lexical: LexicalIndex | None = None
    diacritics: DiacriticModel | None = None
    generation: str = ""  # set when loaded (see `attach_lexical`)


def _save_lexical(path: Path, lexical: LexicalIndex, diacritics: DiacriticModel) -> None:
    """Write the lexical folder beside, fsync every file, then rename it into place."""
    tmp = path.with_name(path.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    lexical.save(tmp)
    a = diacritics.arrays()
    np.savez(
        tmp / "diacritics.npz",
        syllables=a["syllables"], unigrams=a["unigrams"], pairs=a["pairs"], bigrams=a["bigrams"],
    )  # fmt: skip
    for file in tmp.rglob("*"):
        if file.is_file():
            with open(file, "rb") as fh:
                os.fsync(fh.fileno())
    os.replace(tmp, path)


def _load_lexical(path: Path, rows: int) -> tuple[LexicalIndex, DiacriticModel]:
    lexical = LexicalIndex.load(path, rows)
    with np.load(path / "diacritics.npz", allow_pickle=False) as npz:
        diacritics = DiacriticModel.from_arrays({k: npz[k] for k in npz.files})
    return lexical, diacritics


def _current_lexical(manifest: dict[str, object]) -> str | None:
    """The manifest's BM25 + diacritic folder, if its model was built from today's inputs."""
    folder = manifest.get("lexical_dir")
    if not folder or manifest.get("restorer") != restore.INPUTS_KEY:
        return None
    return str(folder)


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
                tokens = TokenCache(npz["ids"], npz["offsets"], npz["vocab"])
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
        persisted = Persisted(
            revision, chunk_ids, tokens, model if isinstance(model, str) else None, dense, titles
        )
        persisted.generation = str(m.get("generation", ""))
        lexical_dir = _current_lexical(m)
        if m.get("lexical_dir") and lexical_dir is None:
            log.info("diacritic model in %s was built from other phrases; rebuilding", self.dir)
        elif lexical_dir is not None:
            try:
                if np.any(np.diff(chunk_ids) <= 0):  # rows are addressed by sorted chunk id
                    raise ValueError("rows are not sorted by chunk id")
                persisted.lexical, persisted.diacritics = _load_lexical(
                    self.dir / lexical_dir, len(chunk_ids)
                )
            except Exception as exc:  # the tokens and vectors are still good: rebuild these
                log.warning("BM25 files in %s are unreadable (%s); rebuilding them", self.dir, exc)
        return persisted

    def save(self, state: Persisted) -> LexicalIndex | None:
        """Write a new generation and switch the manifest to it (call under lock()). Returns
        its BM25 twins memory-mapped from the files just written (same scores as
        `state.lexical`; a process serving them holds no private copy)."""
        gen = uuid.uuid4().hex[:12]
        tokens_file = f"tokens-{gen}.npz"
        arrays = TokenCache.encode(state.tokens).arrays()
        write_atomic(
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
        lexical_dir = None
        if state.lexical is not None and state.diacritics is not None and len(state.chunk_ids):
            lexical_dir = f"lexical-{gen}"
            _save_lexical(self.dir / lexical_dir, state.lexical, state.diacritics)
        manifest = {
            "format": FORMAT,
            "tokenizer": TOKENIZER_VERSION,
            "revision": state.revision,
            "model": state.model if state.dense is not None else None,
            "generation": gen,
            "tokens_file": tokens_file,
            "dense_file": dense_file,
            "lexical_dir": lexical_dir,
            "restorer": restore.INPUTS_KEY,
            "count": len(state.chunk_ids),
            "chunk_ids": state.chunk_ids.tolist(),
            "titles": {str(k): v for k, v in state.titles.items()},
        }
        body = json.dumps(manifest).encode("utf-8")
        write_atomic(self.dir / MANIFEST, lambda fh: fh.write(body))
        self._collect(keep={tokens_file, dense_file, lexical_dir})
        if lexical_dir is None:
            return None
        try:
            return LexicalIndex.load(self.dir / lexical_dir, len(state.chunk_ids))
        except Exception as exc:  # saved all the same; the caller keeps its own copy
            log.warning("BM25 files just written to %s do not load (%s)", self.dir, exc)
            return None

    def attach_lexical(
        self, generation: str, lexical: LexicalIndex, diacritics: DiacriticModel
    ) -> bool:
        """Add BM25 and the diacritic model to `generation`, written before they were saved
        (or saved with a diacritic model of other inputs), if it is still the current one
        (takes the lock). Its tokens and vectors stay."""
        with self.lock():
            m = self.manifest()
            if m is None or m.get("generation") != generation or not generation:
                return False
            if _current_lexical(m) is not None or not m.get("count"):
                return False
            stale = m.get("lexical_dir")
            lexical_dir = f"lexical-{generation}-{restore.INPUTS_KEY}"
            _save_lexical(self.dir / lexical_dir, lexical, diacritics)
            fresh = {**m, "lexical_dir": lexical_dir, "restorer": restore.INPUTS_KEY}
            body = json.dumps(fresh).encode("utf-8")
            write_atomic(self.dir / MANIFEST, lambda fh: fh.write(body))
            if stale and stale != lexical_dir:  # a replica still mapping it keeps its pages
                shutil.rmtree(self.dir / str(stale), ignore_errors=True)
            return True

    def _collect(self, keep: set[str | None]) -> None:
        """Delete data files of older generations (and temp files left by a crash)."""
        for path in self.dir.iterdir():
            if path.name in (MANIFEST, ".lock") or path.name in keep:
                continue
            if path.name.startswith(("tokens-", "dense-", MANIFEST + ".tmp")):
                with contextlib.suppress(OSError):
                    path.unlink()
            elif path.name.startswith("lexical-"):
                shutil.rmtree(path, ignore_errors=True)
