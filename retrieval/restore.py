"""Diacritic restoration for questions typed without (or with only some) tone marks.

A syllable bigram model decodes the most likely accented sentence with Viterbi. Its counts come
from three sources, all offline:
- the knowledge base's own text (rebuilt with the index, so it knows the KB's vocabulary and
  phrasing: "hộ tịch", "tiếp công dân"),
- pyvi's general Vietnamese lexicon (31k accented words shipped inside the pyvi wheel), which
  covers everyday words the KB may lack ("nghỉ phép"); each lexicon word counts as a few
  occurrences of its syllable pairs, and
- wordfreq's Vietnamese syllable frequencies (subtitles, news, web), a fifth of the syllable
  counts: legal text says "cơ" (cơ quan) and "máy" more than everyday speech does, and a
  question typed on a phone is everyday speech ("co bi phat ko", "nhat duoc vi tien").
A syllable that already carries a mark is kept as typed; an unmarked one may become any
accented syllable with the same folded spelling, or stay unmarked when that spelling occurs
unmarked ("ban", "cho"). Syllables the model has never seen are left alone. Every number is one
token, NUMBER, so the knowledge base's "30 ngày" and "05 năm" teach "1 nam" -> "1 năm".
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from core.text import fold, normalize
from retrieval.shorthand import QUESTION_PHRASE_SHARE, QUESTION_PHRASE_WEIGHT, QUESTION_PHRASES
from retrieval.tokencache import TokenCache, token_rows

# Weight of one pyvi lexicon word's syllable pairs, in KB occurrences: enough to prefer a real
# word over a non-word. Its syllables count far less (a syllable sits in dozens of lexicon
# words), so the knowledge base's own usage wins wherever it has evidence ("xã", not "xa").
LEXICON_WEIGHT = 2.0
LEXICON_SYLLABLE_WEIGHT = 0.1
# Share of the syllable (unigram) counts that comes from general Vietnamese (wordfreq): 0.2
# restored phone-typed questions best (benchmarks/eval_understanding.py; 0.4 and up let
# everyday words override the knowledge base's own).
GENERAL_SHARE = 0.2
# Passages read to learn the knowledge base's language: evenly spread, enough for its phrasing,
# few enough that a 100k-passage knowledge base builds the model in a couple of seconds.
MAX_PASSAGES = 20_000
# Candidates kept per folded syllable (by frequency); more only slows decoding.
_MAX_CANDIDATES = 8
# The one token every number becomes (not a letter, so it is never restored or a candidate).
NUMBER = "#"
# What a model is built from besides the passages: a persisted model whose key differs was
# built from other phrases or weights and is rebuilt from the saved tokens, not reused.
INPUTS_KEY = hashlib.sha256(
    json.dumps(
        [QUESTION_PHRASES, QUESTION_PHRASE_WEIGHT, LEXICON_WEIGHT, LEXICON_SYLLABLE_WEIGHT,
         _MAX_CANDIDATES]
    ).encode("utf-8")
).hexdigest()[:12]  # fmt: skip


@lru_cache(maxsize=1)
def lexicon_words() -> tuple[str, ...]:
    """pyvi's accented word list (empty when the file is missing from the wheel)."""
    try:
        text = resources.files("pyvi").joinpath("models/words.txt").read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError, OSError):
        return ()
    return tuple(normalize(line.strip()).lower() for line in text.splitlines() if line.strip())


@lru_cache(maxsize=1)
def general_frequencies() -> tuple[tuple[str, float], ...]:
    """wordfreq's Vietnamese syllables and their frequencies (empty without the package)."""
    try:
        import wordfreq  # imported here: only building a model needs it
    except ImportError:
        return ()
    counts: dict[str, float] = defaultdict(float)
    for word, freq in wordfreq.get_frequency_dict("vi", wordlist="small").items():
        if word.isalpha():
            counts[normalize(word).lower()] += freq
    return tuple(counts.items())


def _is_syllable(token: str) -> bool:
    return token.isalpha()


def _key(token: str) -> str:
    """The model's token for a typed one: numbers are one class."""
    return NUMBER if token.isdigit() else token


def _first_seen(keys: np.ndarray) -> list[tuple[int, float]]:
    """(key, count) of each distinct key, in order of first occurrence."""
    distinct, first, counts = np.unique(keys, return_index=True, return_counts=True)
    order = np.argsort(first, kind="stable")
    return list(zip(distinct[order].tolist(), counts[order].astype(float).tolist(), strict=True))


@dataclass(frozen=True)
class DiacriticModel:
    """Unigram and bigram counts over accented syllables, indexed by folded spelling."""

    unigrams: dict[str, float]
    bigrams: dict[tuple[str, str], float]
    followers: dict[str, int]  # distinct syllables seen after each syllable (Witten-Bell)
    outgoing: dict[str, float]  # total pair weight leaving each syllable
    candidates: dict[str, tuple[str, ...]]
    total: float

    @classmethod
    def build(cls, sequences: Iterable[Sequence[str]]) -> DiacriticModel:
        """Counts from syllable sequences (lower-cased, normalised), plus the lexicon."""
        return cls._counted(TokenCache.encode(list(sequences)))

    @classmethod
    def _counted(cls, cache: TokenCache, skip: np.ndarray | None = None) -> DiacriticModel:
        """Syllable and adjacent-pair counts of the rows with whole-array operations (token
        ids, no loop over tokens), in order of first occurrence as a counting loop would
        insert them; every number counts as NUMBER, anything else that is not a syllable
        breaks a pair. `skip`: vocabulary ids left out entirely (their neighbours become
        adjacent)."""
        words: list[str] = [_key(w) for w in cache.vocab.tolist()]
        # Vocabulary ids -> ids of distinct model tokens (all numbers share one).
        names, remap = np.unique(np.array(words or [""], dtype=str), return_inverse=True)
        words = names.tolist()
        vocab_ids = cache.ids.astype(np.int64)
        ids, rows = remap[vocab_ids], token_rows(cache.offsets)
        if skip is not None:
            kept = ~skip[vocab_ids]
            ids, rows = ids[kept], rows[kept]
        counted = np.array([_is_syllable(w) or w == NUMBER for w in words], dtype=bool)[ids]
        unigrams = {words[i]: c for i, c in _first_seen(ids[counted])}
        general = GENERAL_SHARE / (1 - GENERAL_SHARE) * sum(unigrams.values())
        for syllable, freq in general_frequencies():
            unigrams[syllable] = unigrams.get(syllable, 0.0) + general * freq
        paired = counted[1:] & counted[:-1] & (rows[1:] == rows[:-1])
        width = max(len(words), 1)
        keys = ids[:-1][paired] * width + ids[1:][paired]
        bigrams = {(words[k // width], words[k % width]): c for k, c in _first_seen(keys)}
        outgoing: dict[str, float] = defaultdict(float)
        for (a, _), c in bigrams.items():
            outgoing[a] += c
        # Question phrases: a fixed weight, or a share of how often the knowledge base
        # continues their first word, whichever is larger. Legal text says "có" 10,000 times
        # and "có phải" a handful; a question says "có phải" all the time.
        extra = [(w, LEXICON_WEIGHT, LEXICON_SYLLABLE_WEIGHT, 0.0) for w in lexicon_words()]
        extra += [
            (p, QUESTION_PHRASE_WEIGHT, QUESTION_PHRASE_WEIGHT, QUESTION_PHRASE_SHARE)
            for p in QUESTION_PHRASES
        ]
        for word, weight, syllable_weight, share in extra:
            parts = [_key(p) for p in word.split()]
            if not all(_is_syllable(p) or p == NUMBER for p in parts):
                continue
            for p in parts:
                unigrams[p] = unigrams.get(p, 0.0) + syllable_weight
            for a, b in itertools.pairwise(parts):
                bigrams[(a, b)] = bigrams.get((a, b), 0.0) + max(weight, share * outgoing[a])
        return cls.from_counts(unigrams, bigrams)

    @classmethod
    def from_counts(
        cls, unigrams: dict[str, float], bigrams: dict[tuple[str, str], float]
    ) -> DiacriticModel:
        """The model of final counts (everything else is derived from them)."""
        by_fold: dict[str, list[str]] = defaultdict(list)
        for tok in unigrams:
            by_fold[fold(tok)].append(tok)
        candidates = {
            f: tuple(sorted(toks, key=lambda t: -unigrams[t])[:_MAX_CANDIDATES])
            for f, toks in by_fold.items()
        }
        followers: Counter[str] = Counter(a for a, _ in bigrams)
        outgoing: dict[str, float] = defaultdict(float)
        for (a, _), weight in bigrams.items():
            outgoing[a] += weight
        return cls(
            unigrams, bigrams, dict(followers), dict(outgoing), candidates,
            sum(unigrams.values()),
        )  # fmt: skip

    def arrays(self) -> dict[str, np.ndarray]:
        """The counts as plain arrays (what `from_arrays` reads back; no pickle). Order is
        kept, so ties between candidates break the same way after a reload."""
        syllables = list(self.unigrams)
        position = {s: i for i, s in enumerate(syllables)}
        pairs = np.array(
            [(position[a], position[b]) for a, b in self.bigrams], dtype=np.int32
        ).reshape(-1, 2)
        return {
            "syllables": np.array(syllables, dtype=str) if syllables else np.array([], "<U1"),
            "unigrams": np.fromiter(self.unigrams.values(), np.float64, len(syllables)),
            "pairs": pairs,
            "bigrams": np.fromiter(self.bigrams.values(), np.float64, len(self.bigrams)),
        }

    @classmethod
    def from_arrays(cls, data: Mapping[str, np.ndarray]) -> DiacriticModel:
        """The model saved by `arrays`."""
        syllables: list[str] = data["syllables"].tolist()
        counts: list[float] = data["unigrams"].tolist()
        pairs: list[list[int]] = data["pairs"].tolist()
        weights: list[float] = data["bigrams"].tolist()
        if len(counts) != len(syllables) or len(pairs) != len(weights):
            raise ValueError("diacritic model arrays disagree")
        unigrams = dict(zip(syllables, counts, strict=True))
        bigrams = {
            (syllables[a], syllables[b]): w for (a, b), w in zip(pairs, weights, strict=True)
        }
        return cls.from_counts(unigrams, bigrams)

    @classmethod
    def from_passages(cls, token_lists: Sequence[Sequence[str]]) -> DiacriticModel:
        """The model of an index: plain syllables of (at most MAX_PASSAGES) indexed passages."""
        cache = TokenCache.encode(token_lists)
        step = max(1, len(cache) // MAX_PASSAGES)
        compounds = np.array(["_" in w for w in cache.vocab.tolist()], dtype=bool)
        return cls._counted(cache.take(np.arange(0, len(cache), step)), skip=compounds)

    def _options(self, token: str) -> tuple[str, ...]:
        if not _is_syllable(token) or fold(token) != token:
            return (token,)  # digits, or already marked: keep as typed
        return self.candidates.get(token, (token,))

    def _unigram(self, tok: str) -> float:
        return (self.unigrams.get(tok, 0.0) + 0.01) / (self.total + 0.01 * len(self.unigrams) + 1)

    def _transition(self, prev: str, tok: str) -> float:
        """Witten-Bell smoothed log P(tok | prev): a context followed by many different
        syllables ("khi") leaves more room for pairs it was never seen in."""
        prev, tok = _key(prev), _key(tok)
        types = self.followers.get(prev, 0) + 1
        ctx = self.outgoing.get(prev, 0.0)
        pair = self.bigrams.get((prev, tok), 0.0)
        return math.log((pair + types * self._unigram(tok)) / (ctx + types))

    def score(self, tokens: Sequence[str]) -> float:
        """Log-probability of a token sequence (to compare readings of one question)."""
        if not tokens:
            return 0.0
        first = math.log(self._unigram(_key(tokens[0])))
        return first + sum(self._transition(a, b) for a, b in itertools.pairwise(tokens))

    def restore(self, tokens: Sequence[str]) -> list[str]:
        """The most likely accented form of each lower-case token (same length, same order)."""
        if not tokens:
            return []
        options = [self._options(t) for t in tokens]
        # Viterbi over syllable candidates: score[j] of the best path ending in option j.
        scores = [math.log(self._unigram(_key(o))) for o in options[0]]
        back: list[list[int]] = []
        for i in range(1, len(tokens)):
            row_scores, row_back = [], []
            for cand in options[i]:
                best_j = max(
                    range(len(options[i - 1])),
                    key=lambda j: scores[j] + self._transition(options[i - 1][j], cand),
                )
                row_scores.append(scores[best_j] + self._transition(options[i - 1][best_j], cand))
                row_back.append(best_j)
            scores, back = row_scores, [*back, row_back]
        j = max(range(len(scores)), key=scores.__getitem__)
        out = [options[-1][j]]
        for i in range(len(tokens) - 1, 0, -1):
            j = back[i - 1][j]
            out.append(options[i - 1][j])
        return out[::-1]
