"""Fast checks of the pure pieces: tokens, diacritic routing, fusion, index files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import pytest

from core.text import fold
from retrieval import restore
from retrieval.dense import DenseIndex
from retrieval.fusion import best_per_group, fuse, fuse_articles, minmax
from retrieval.lexical import K1, B, LexicalIndex
from retrieval.restore import DiacriticModel
from retrieval.store import IndexStore, Persisted
from retrieval.text import QueryTokens, is_unaccented, passage_tokens, query_tokens
from retrieval.tokencache import TokenCache


def test_tokens_unify_tone_marks_and_keep_compounds() -> None:
    accented, folded = passage_tokens("Cán bộ được nghỉ phép; hoà giải ở cơ sở")
    assert "cán_bộ" in accented and "nghỉ_phép" in accented
    assert "hòa" in accented  # "hoà" written the other way is the same token
    assert "can_bo" in folded and "nghi_phep" in folded
    q = query_tokens("Thủ tục hoà giải?")
    assert not q.folded and "hòa_giải" in q.tokens and "thủ_tục" in q.tokens


def test_unaccented_queries_are_detected_and_folded() -> None:
    assert is_unaccented("can bo xa nghi phep bao nhieu ngay")
    assert not is_unaccented("cán bộ xã nghỉ phép bao nhiêu ngày")
    # One accented word in an otherwise bare question still counts as unaccented.
    assert is_unaccented("can bo xã nghi phep bao nhieu ngay")
    assert not is_unaccented("2024")
    q = query_tokens("Can bo xa nghi phep")
    assert q.folded and "can_bo" in q.tokens and "nghi_phep" in q.tokens


def test_minmax_fusion_and_article_dedup() -> None:
    assert minmax(np.array([2.0, 2.0])).tolist() == [0.0, 0.0]
    lex = np.array([10.0, 0.0, 5.0], dtype=np.float32)
    dense = np.array([0.80, 0.90, 0.90], dtype=np.float32)
    fused = fuse(lex, dense, 0.5)
    assert np.allclose(fused, [0.5, 0.5, 0.75])
    ranked = best_per_group(fused, ["a", "b", "a"], k=5)
    assert [(r.index, round(r.score, 2)) for r in ranked] == [(2, 0.75), (1, 0.5)]
    # Article-level: article "a" takes lexical 10 from one chunk and cosine 0.9 from another.
    art = fuse_articles(lex, dense, ["a", "b", "a"], 0.5)
    assert art[0] > art[1] and art[2] > art[1]
    assert float(art.max()) <= 1.0


def test_store_round_trip_and_corruption(tmp_path: Path) -> None:
    store = IndexStore(tmp_path)
    assert store.load() is None
    dense = DenseIndex(4)
    vecs = np.eye(4, dtype=np.float32)[:3]
    dense.add(np.array([7, 8, 9]), vecs)
    tokens = [["cán_bộ", "xã"], ["xã"], []]
    store.save(Persisted(5, np.array([7, 8, 9]), tokens, "m", dense, {1: "Luật A"}))
    loaded = store.load()
    assert loaded is not None
    assert loaded.revision == 5 and list(loaded.tokens) == tokens and loaded.titles == {1: "Luật A"}
    assert loaded.dense is not None and sorted(loaded.dense.ids().tolist()) == [7, 8, 9]
    ids, _ = loaded.dense.search(vecs[1], 2, allowed=np.array([8, 9]))
    assert ids.tolist()[0] == 8 and len(ids) == 2
    # A second save replaces the generation and removes the old files.
    store.save(Persisted(6, np.array([7]), tokens[:1], None, None, {}))
    assert len(list(tmp_path.glob("tokens-*.npz"))) == 1 and not list(tmp_path.glob("dense-*"))
    (tmp_path / "manifest.json").write_text("{not json")
    assert store.load() is None


def test_store_keeps_bm25_and_diacritic_model_per_generation(tmp_path: Path) -> None:
    texts = ["Cán bộ xã được nghỉ phép hằng năm", "Tiếp công dân tại trụ sở xã", "Lưu trữ hồ sơ"]
    tokens = [passage_tokens(t)[0] for t in texts]
    lexical, model = LexicalIndex.build(tokens), DiacriticModel.from_passages(tokens)
    store = IndexStore(tmp_path)
    saved = Persisted(3, np.array([4, 5, 6]), tokens, None, None, {}, lexical, model)
    store.save(saved)
    loaded = store.load()
    assert loaded is not None and loaded.lexical is not None and loaded.diacritics is not None
    assert isinstance(loaded.tokens, TokenCache) and loaded.tokens[1] == tokens[1]
    for query in (query_tokens("nghỉ phép của cán bộ"), QueryTokens(["tiep", "cong", "dan"], True)):
        want, got = lexical.scores(query)[0], loaded.lexical.scores(query)[0]
        assert got.any() and np.array_equal(want, got)
    assert loaded.lexical.folded_idf() == lexical.folded_idf()
    assert loaded.diacritics == model  # counts and derived tables, candidate order included
    first = next(tmp_path.glob("lexical-*"))
    # An older generation (no lexical folder) still loads, without those parts.
    store.save(Persisted(4, np.array([4, 5, 6]), loaded.tokens, None, None, {}))
    old = store.load()
    assert old is not None and old.lexical is None and list(old.tokens) == tokens
    assert not first.exists()  # collected with its generation
    # A damaged BM25 file costs the lexical parts only: tokens and revision still load.
    store.save(saved)
    (data,) = tmp_path.glob("lexical-*/folded/data.csc.index.npy")
    data.write_bytes(data.read_bytes()[:100])
    damaged = store.load()
    assert damaged is not None and damaged.revision == 3 and damaged.lexical is None


def test_bm25_twins_score_exactly_as_bm25s_builds_them() -> None:
    texts = [
        "Cán bộ xã được nghỉ phép hằng năm mười hai ngày, cán bộ làm đơn",
        "Chủ tịch xã tiếp công dân tại trụ sở mỗi tuần",
        "",
        "Văn thư xã lập danh mục hồ sơ, hồ sơ nộp lưu vào kho lưu trữ",
        "Con dấu do công chức văn phòng giữ; cạn bỗ khác cán bộ",
    ]
    tokens = [passage_tokens(t)[0] for t in texts]
    lexical = LexicalIndex.build(tokens)
    for twin, rows in (
        (lexical.accented, tokens),
        (lexical.folded, [[fold(t) for t in doc] for doc in tokens]),
    ):
        reference = bm25s.BM25(k1=K1, b=B)
        reference.index(rows, show_progress=False)
        assert set(twin.vocab) == set(reference.vocab_dict)
        for word in reference.vocab_dict:
            if word:  # the empty placeholder has no column
                assert np.array_equal(twin.model.get_scores([word]), reference.get_scores([word]))


def test_token_cache_takes_and_extends_rows_without_decoding_others() -> None:
    cache = TokenCache.encode([["a", "b"], [], ["c", "a", "c"]])
    assert list(cache.take(np.array([2, 0, 1]))) == [["c", "a", "c"], ["a", "b"], []]
    grown = cache.take(np.array([2])).extended([["d", "a"], []])
    assert list(grown) == [["c", "a", "c"], ["d", "a"], []] and grown[-2] == ["d", "a"]
    assert list(TokenCache(**grown.arrays())) == list(grown)


def test_diacritic_counts_follow_the_token_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(restore, "GENERAL_SHARE", 0.0)  # the knowledge base's counts alone
    lexicon_only = DiacriticModel.build([])
    model = DiacriticModel.build([["cán", "bộ", "12", "xã", "cán"], [], ["a1", "xã", "xa"]])

    def kb(counts: dict[Any, float], base: dict[Any, float]) -> dict[Any, float]:
        return {k: v - base.get(k, 0.0) for k, v in counts.items() if v != base.get(k, 0.0)}

    # Syllables in order of first occurrence, every number as NUMBER; another non-syllable
    # breaks a pair, a row ends one.
    assert list(model.unigrams)[:5] == ["cán", "bộ", restore.NUMBER, "xã", "xa"]
    assert kb(model.unigrams, lexicon_only.unigrams) == pytest.approx(
        {"cán": 2, "bộ": 1, restore.NUMBER: 1, "xã": 2, "xa": 1}
    )
    assert kb(model.bigrams, lexicon_only.bigrams) == pytest.approx(
        {("cán", "bộ"): 1, ("bộ", restore.NUMBER): 1, (restore.NUMBER, "xã"): 1,
         ("xã", "cán"): 1, ("xã", "xa"): 1}
    )  # fmt: skip
    # Passages: compounds are left out, so the syllables around one become a pair.
    passages = DiacriticModel.from_passages(TokenCache.encode([["cán", "cán_bộ", "bộ"]]))
    assert kb(passages.bigrams, lexicon_only.bigrams) == pytest.approx({("cán", "bộ"): 1})
    # Saved and read back: the same counts in the same order.
    again = DiacriticModel.from_arrays(model.arrays())
    assert again == model and list(again.unigrams) == list(model.unigrams)


def test_everyday_syllable_counts_are_a_fixed_share(monkeypatch: pytest.MonkeyPatch) -> None:
    """wordfreq's frequencies add GENERAL_SHARE of all syllable counts, whatever the size of
    the knowledge base, so a small one is not drowned and a large one still hears them."""
    for rows in (1, 100):
        text = [["cán", "bộ", "xã"]] * rows
        mixed = DiacriticModel.build(text)
        monkeypatch.setattr(restore, "GENERAL_SHARE", 0.0)
        alone = DiacriticModel.build(text)
        monkeypatch.undo()
        added = mixed.total - alone.total
        expected = sum(f for _, f in restore.general_frequencies()) * 3 * rows
        assert added == pytest.approx(
            expected * restore.GENERAL_SHARE / (1 - restore.GENERAL_SHARE)
        )
        assert mixed.unigrams["có"] > mixed.unigrams["cơ"]  # everyday speech says "có"
