"""BM25 tokens per row in a compact form: vocabulary ids and row offsets (what the persisted
token cache holds, and what the BM25 twins are built from without decoding)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

import numpy as np


class TokenCache(Sequence[list[str]]):
    """BM25 tokens per row, kept encoded (vocabulary ids and row offsets): a row is decoded
    when read. A loaded generation costs ~4 bytes a token instead of a Python list per row,
    and nothing is decoded until a rebuild needs every row."""

    def __init__(self, ids: np.ndarray, offsets: np.ndarray, vocab: np.ndarray) -> None:
        if len(offsets) < 1 or int(offsets[-1]) != len(ids) or int(offsets[0]) != 0:
            raise ValueError("token cache offsets disagree with its ids")
        if len(ids) and int(ids.max()) >= len(vocab):
            raise ValueError("token cache ids outside its vocabulary")
        self.ids, self.offsets = ids, offsets
        # str objects, shared by the rows decoded
        self.vocab = vocab if vocab.dtype == object else np.array(vocab.tolist(), dtype=object)

    @classmethod
    def encode(cls, tokens: Sequence[Sequence[str]]) -> TokenCache:
        if isinstance(tokens, TokenCache):
            return tokens
        empty = cls(np.zeros(0, np.uint32), np.zeros(1, np.int64), np.zeros(0, object))
        return empty.extended(tokens)

    def arrays(self) -> dict[str, np.ndarray]:
        words = self.vocab.astype(str) if len(self.vocab) else np.array([], dtype="<U1")
        return {"ids": self.ids, "offsets": self.offsets, "vocab": words}

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @overload
    def __getitem__(self, row: int) -> list[str]: ...
    @overload
    def __getitem__(self, row: slice) -> list[list[str]]: ...
    def __getitem__(self, row: int | slice) -> list[str] | list[list[str]]:
        if isinstance(row, slice):
            return [self[r] for r in range(*row.indices(len(self)))]
        if not -len(self) <= row < len(self):
            raise IndexError(row)
        row %= len(self)
        start, end = int(self.offsets[row]), int(self.offsets[row + 1])
        words: list[str] = self.vocab[self.ids[start:end]].tolist()
        return words

    def take(self, rows: np.ndarray) -> TokenCache:
        """These rows, in this order (same vocabulary; no row is decoded)."""
        lengths = np.diff(self.offsets)
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths[rows], out=offsets[1:])
        if len(rows) < 2 or bool(np.all(np.diff(rows) > 0)):
            # Rows in order (what a sync keeps): a mask over tokens, the cheapest gather.
            chosen = np.zeros(len(self), dtype=bool)
            chosen[rows] = True
            return TokenCache(self.ids[np.repeat(chosen, lengths)], offsets, self.vocab)
        # Position j of the result reads ids[starts[row of j] + (j - offsets[row of j])].
        index = np.arange(offsets[-1], dtype=np.int64)
        index += np.repeat(self.offsets[rows] - offsets[:-1], lengths[rows])
        return TokenCache(self.ids[index], offsets, self.vocab)

    def extended(self, rows: Sequence[Sequence[str]]) -> TokenCache:
        """These rows followed by `rows` (the vocabulary grows by their new words)."""
        if not rows:
            return self
        vocab = {w: i for i, w in enumerate(self.vocab.tolist())}
        known = len(vocab)
        ids = np.fromiter(
            (vocab.setdefault(t, len(vocab)) for doc in rows for t in doc),
            dtype=np.uint32,
            count=sum(len(doc) for doc in rows),
        )
        offsets = np.concatenate(
            [self.offsets, self.offsets[-1] + np.cumsum([len(doc) for doc in rows])]
        )
        words = np.concatenate([self.vocab, np.array(list(vocab)[known:], dtype=object)])
        return TokenCache(np.concatenate([self.ids, ids]), offsets.astype(np.int64), words)

    def __iter__(self) -> Iterator[list[str]]:
        # One vectorised lookup for all rows, then a slice per row.
        words = self.vocab[self.ids] if len(self.ids) else np.array([], dtype=object)
        bounds = self.offsets.tolist()
        for r in range(len(self)):
            yield words[bounds[r] : bounds[r + 1]].tolist()


def token_rows(offsets: np.ndarray) -> np.ndarray:
    """The row of every token, given the rows' offsets (by counting row starts: np.repeat
    would hold the GIL for a quarter of a second at 100k rows, this does not)."""
    count = int(offsets[-1])
    return np.cumsum(np.bincount(offsets[1:-1], minlength=count + 1)[:count])
