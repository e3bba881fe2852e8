"""Vietnamese lexical tokens for BM25: syllables plus word-segmented compounds, with a
diacritic-folded twin so questions typed without tone marks still match.

Both the index and the query go through `core.text.normalize` (NFC + one tone-mark
placement), so "hoà" and "hòa" are the same token.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from core.text import fold, normalize

# Letters and digits; Vietnamese letters are all \w in Python's Unicode regex.
_WORD = re.compile(r"\w+", re.UNICODE)
# Punctuation that ends a phrase: bigrams never cross it.
_BREAK = re.compile(r"[.,;:!?()\[\]\"“”'/\n]+")
# "điều 6" in a question, matched on the folded text.
_CITED = re.compile(r"\bdieu (\d{1,4})\b")
# A query counts as typed without diacritics when fewer than this share of its syllables
# carry any mark: ordinary Vietnamese prose has well over half its syllables marked,
# and a folded query has none (a stray accented word or two should not flip the mode).
_ACCENTED_SHARE = 0.25


# Bump whenever passage_tokens() changes: persisted token caches of another version are dropped.
TOKENIZER_VERSION = 1


@dataclass(frozen=True)
class QueryTokens:
    """Tokens for one query and which of the two lexical indexes they are meant for."""

    tokens: list[str]
    folded: bool


def _phrases(text: str) -> list[list[str]]:
    """Lower-cased syllables grouped by phrase (split at punctuation)."""
    out = []
    for part in _BREAK.split(text.lower()):
        words = _WORD.findall(part)
        if words:
            out.append(words)
    return out


def _bigrams(phrases: list[list[str]]) -> list[str]:
    return [f"{a}_{b}" for words in phrases for a, b in itertools.pairwise(words)]


def _compounds(text: str) -> list[str]:
    """Multi-syllable words found by pyvi's segmenter ("cán_bộ", "hợp_đồng_lao_động")."""
    # Imported here: its CRF pulls in scikit-learn and SciPy (~0.8 s, ~70 MB), which only
    # indexing needs; a replica serving from a persisted index never loads them.
    from pyvi import ViTokenizer

    segmented = ViTokenizer.tokenize(text.lower())
    return [w for w in segmented.split() if "_" in w and _WORD.fullmatch(w.replace("_", "a"))]


def passage_tokens(text: str) -> tuple[list[str], list[str]]:
    """Tokens of a passage: (accented syllables + compounds, folded syllables + compounds)."""
    text = normalize(text)
    syllables = [w for words in _phrases(text) for w in words]
    accented = syllables + _compounds(text)
    folded = [fold(t) for t in accented]
    return accented, folded


def marked_share(text: str) -> float:
    """Share of a text's letter syllables that carry any Vietnamese mark (1.0 with none)."""
    words = [w for w in _WORD.findall(text.lower()) if not w.isdigit()]
    if not words:
        return 1.0
    return sum(1 for w in words if fold(w) != w) / len(words)


def is_unaccented(query: str) -> bool:
    """True when the query looks typed without Vietnamese diacritics."""
    return marked_share(normalize(query)) < _ACCENTED_SHARE


def query_tokens(query: str) -> QueryTokens:
    """Tokens of a query. Compounds are matched through every adjacent syllable pair, so the
    query needs no segmenter of its own (short questions segment unreliably): a pair that is
    not a word in the corpus simply has no postings."""
    text = normalize(query)
    folded = is_unaccented(text)
    if folded:
        text = fold(text)
    phrases = _phrases(text)
    tokens = [w for words in phrases for w in words] + _bigrams(phrases)
    return QueryTokens(tokens=tokens, folded=folded)


def cited_articles(folded: str) -> list[str]:
    """Article numbers a folded, lower-cased question cites ("dieu 3 noi gi" -> ["3"])."""
    return _CITED.findall(folded)
