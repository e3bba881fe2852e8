"""A warm start serves the persisted generation as saved: BM25 and the diacritic model are
loaded, not rebuilt, and rank exactly as a fresh build; rows gone or renamed since the snapshot
are masked until the catch-up; older or damaged files mean a rebuild, never a crash."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.config import Settings
from core.db import unit_of_work
from knowledge import service as kb
from retrieval.lexical import LexicalIndex
from retrieval.models import SearchRequest
from retrieval.restore import INPUTS_KEY, DiacriticModel
from retrieval.service import Retriever
from tests.retrieval.conftest import EXTRA, LEAVE, import_texts

QUERIES = (
    "Cán bộ, công chức xã được nghỉ phép hằng năm bao nhiêu ngày?",
    "chu tich xa tiep cong dan ngay nao",
    "lưu trữ hồ sơ trong thời hạn bao lâu",
)


async def ranked(retriever: Retriever) -> list[list[tuple[int, float]]]:
    out = []
    for q in QUERIES:
        resp = await retriever.search(SearchRequest(query=q, k=5))
        out.append([(h.chunk_id, h.score) for h in resp.hits])
    return out


def no_rebuild(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("rebuilt from tokens")

    monkeypatch.setattr(LexicalIndex, "build", refuse)
    monkeypatch.setattr(DiacriticModel, "from_passages", refuse)


async def test_warm_start_loads_bm25_and_ranks_as_a_fresh_build(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    documents: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = await Retriever.create(settings, sessionmaker)
    expected = await ranked(first)
    assert all(expected)
    no_rebuild(monkeypatch)
    restarted = Retriever(settings, sessionmaker, first.embedder)
    assert await restarted.warm_start()
    assert await ranked(restarted) == expected
    # An unchanged start-up sync reuses them too.
    synced = Retriever(settings, sessionmaker, first.embedder)
    await synced.sync()
    assert await ranked(synced) == expected


async def test_older_generation_loads_and_gains_its_bm25_files_without_reencoding(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    documents: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = await Retriever.create(settings, sessionmaker)
    expected = await ranked(first)
    manifest_path = settings.index_dir / "manifest.json"
    written = json.loads(manifest_path.read_text("utf-8"))

    def as_before_bm25_was_saved() -> None:
        manifest = json.loads(manifest_path.read_text("utf-8"))
        shutil.rmtree(settings.index_dir / manifest.pop("lexical_dir"))
        manifest_path.write_text(json.dumps(manifest), "utf-8")

    def refuse(_: list[str]) -> np.ndarray:
        raise AssertionError("vectors re-encoded")

    assert first.embedder is not None
    monkeypatch.setattr(first.embedder, "encode_passages", refuse)
    for start in ("warm", "sync"):
        as_before_bm25_was_saved()
        restarted = Retriever(settings, sessionmaker, first.embedder)
        if start == "warm":
            assert await restarted.warm_start()
        else:
            await restarted.sync()
        assert await ranked(restarted) == expected
        # The same generation gains its BM25 files; tokens and vectors are not rewritten.
        manifest = json.loads(manifest_path.read_text("utf-8"))
        assert manifest["lexical_dir"] and {**manifest, "lexical_dir": None} == {
            **written,
            "lexical_dir": None,
        }
        upgraded = restarted.store.load()
        assert upgraded is not None and upgraded.lexical is not None


async def test_a_diacritic_model_built_from_other_phrases_is_rebuilt_and_saved(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], documents: list[int]
) -> None:
    """An upgrade that changes the question phrases must reach installations whose index was
    saved before it, without waiting for the knowledge base to change."""
    first = await Retriever.create(settings, sessionmaker)
    expected = await ranked(first)
    manifest_path = settings.index_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text("utf-8"))
    old_dir = manifest["lexical_dir"]
    manifest_path.write_text(json.dumps({**manifest, "restorer": "older-phrases"}), "utf-8")
    restarted = Retriever(settings, sessionmaker, first.embedder)
    assert await restarted.warm_start()
    assert await ranked(restarted) == expected
    upgraded = json.loads(manifest_path.read_text("utf-8"))
    assert upgraded["restorer"] == INPUTS_KEY and upgraded["lexical_dir"] != old_dir
    assert not (settings.index_dir / old_dir).exists()
    again = restarted.store.load()
    assert again is not None and again.diacritics is not None


async def test_damaged_bm25_files_are_rebuilt(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], documents: list[int]
) -> None:
    first = await Retriever.create(settings, sessionmaker)
    expected = await ranked(first)
    for path in settings.index_dir.glob("lexical-*/*/*.npy"):
        path.write_bytes(b"not an array")
    for path in settings.index_dir.glob("lexical-*/diacritics.npz"):
        path.write_bytes(b"not a zip")
    restarted = Retriever(settings, sessionmaker, first.embedder)
    assert await restarted.warm_start()
    assert await ranked(restarted) == expected
    again = Retriever(settings, sessionmaker, first.embedder)
    await again.sync()
    assert await ranked(again) == expected


async def test_documents_retired_or_renamed_after_the_snapshot_are_not_served(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    documents: list[int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = await Retriever.create(settings, sessionmaker)
    leave, civil = documents[0], documents[3]
    assert first._state is not None
    gone = {r.id for r in first._state.rows if r.document_id in (leave, civil)}
    assert (await first.search(SearchRequest(query=QUERIES[0], k=3))).hits[0].document_id == leave
    # While the process is down: the leave rules are renamed, the civil handbook retired.
    renamed = LEAVE.replace(
        "title: Quy chế làm việc mẫu của Ủy ban nhân dân xã",
        "title: Nội quy cơ quan Ủy ban nhân dân xã Sơn Thủy",
    )
    await import_texts(sessionmaker, tmp_path, {"leave.md": renamed})
    async with unit_of_work(sessionmaker) as session:
        await kb.retire_document(session, document_id=civil)

    quick = settings.model_copy(update={"index_wait_seconds": 0.0})
    with monkeypatch.context() as patch:
        no_rebuild(patch)
        restarted = Retriever(quick, sessionmaker, first.embedder)
        assert await restarted.warm_start()
    state = restarted._state
    assert state is not None and state.live is not None
    assert {int(c) for c in state.chunk_ids[~state.live]} == gone
    # Ranked on the warm state itself (a search also starts the catch-up, which may finish
    # between two searches), with and without a document filter.
    rows = {r.id: r.document_id for r in first._state.rows}
    for q in (*QUERIES, "đăng ký khai sinh quá hạn", "nội quy cơ quan xã Sơn Thủy"):
        plan = restarted.plan(q, state)
        for mask in (None, state.row_mask({leave, civil, documents[1]})):
            ranking = restarted.rank(state, plan, mask, 10)
            assert not {rows[c] for c in ranking.chunk_ids} & {leave, civil}, q
    hits = (await restarted.search(SearchRequest(query="đăng ký khai sinh quá hạn", k=10))).hits
    assert civil not in {h.document_id for h in hits}
    # The catch-up re-indexes the renamed document under its new title.
    await restarted.catchup.start()
    assert restarted._state is not None and restarted._state.live is None
    resp = await restarted.search(SearchRequest(query="nội quy cơ quan xã Sơn Thủy", k=3))
    assert resp.hits[0].document_id == leave
    assert resp.hits[0].document_title == "Nội quy cơ quan Ủy ban nhân dân xã Sơn Thủy"
    hits = (await restarted.search(SearchRequest(query="đăng ký khai sinh quá hạn", k=10))).hits
    assert civil not in {h.document_id for h in hits}


async def test_incremental_catch_up_ranks_as_a_full_build(
    lexical_settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    documents: list[int],
    tmp_path: Path,
) -> None:
    running = await Retriever.create(lexical_settings, sessionmaker)
    await import_texts(sessionmaker, tmp_path, {"seal.md": EXTRA})
    async with unit_of_work(sessionmaker) as session:
        await kb.retire_document(session, document_id=documents[1])
    await running.sync()  # kept rows gathered from the token cache, new rows appended
    served = running._state
    assert served is not None  # and BM25 served from the files just saved, not a copy
    assert isinstance(served.lexical.accented.model.scores["data"], np.memmap)
    assert served.idf == served.lexical.folded_idf()  # carried over, as the files would give
    shutil.rmtree(lexical_settings.index_dir)
    rebuilt = await Retriever.create(lexical_settings, sessionmaker)  # from the database
    assert running._state is not None and rebuilt._state is not None
    assert list(running._state.tokens) == list(rebuilt._state.tokens)
    assert await ranked(running) == await ranked(rebuilt)
    hits = (await running.search(SearchRequest(query="ai giữ con dấu của xã", k=3))).hits
    assert hits and hits[0].document_title == "Quy định mẫu về quản lý con dấu"


async def test_a_fresh_process_serves_hybrid_from_its_first_search(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    documents: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the model loading in the background (as `troly run` starts) and a persisted index,
    the model (ONNX Runtime, about a second) comes first: the first state is built once,
    hybrid, instead of lexical and then again with the vectors."""
    first = await Retriever.create(settings, sessionmaker)
    expected = await ranked(first)
    no_rebuild(monkeypatch)
    fresh = await Retriever.create(settings, sessionmaker, sync=False, model_in_background=True)
    response = await fresh.search(SearchRequest(query=QUERIES[0], k=5))
    assert response.mode == "hybrid"
    assert await ranked(fresh) == expected
    await fresh.model_load.stop()
