"""Semantic similar-initiative detection with the real embedding model."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.config import Settings
from core.db import unit_of_work
from core.initiatives import service
from retrieval.embedder import load_embedder
from tests.core.initiatives.factories import World, person

pytestmark = pytest.mark.slow

QR = {
    "title": "Số hóa sổ hộ tịch bằng mã QR",
    "problem": "Tra cứu sổ hộ tịch giấy mất nhiều thời gian, người dân phải chờ lâu.",
    "actions": "Gắn mã QR cho từng quyển sổ, lập bảng tra cứu điện tử dùng chung.",
    "results": "Thời gian tra cứu giảm từ 20 phút xuống còn 3 phút.",
}
VACCINE = {
    "title": "Ứng dụng Zalo nhắc lịch tiêm chủng",
    "problem": "Phụ huynh quên lịch tiêm cho trẻ.",
    "actions": "Lập nhóm Zalo theo thôn, nhắn nhắc trước ngày tiêm hai hôm.",
    "results": "Tỷ lệ tiêm đúng lịch tăng từ 80% lên 97%.",
}
# The QR idea in other words (barcode, birth registers): few shared words, same meaning.
QR_PARAPHRASE = {
    "title": "Tra cứu nhanh hồ sơ hộ tịch bằng mã vạch",
    "problem": "Tìm sổ khai sinh cũ rất lâu vì sổ lưu trữ giấy.",
    "actions": "Dán mã vạch lên gáy sổ và nhập danh mục vào máy tính để tìm kiếm.",
    "results": "Mỗi lần tìm hồ sơ chỉ còn vài phút.",
}


async def test_paraphrase_found_unrelated_not(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    embedder = load_embedder(settings)
    if embedder is None:
        pytest.skip("embedding model not installed (troly models install)")
    made = {}
    for key, fields, author in (("qr", QR, world.cadre_a), ("vaccine", VACCINE, world.cadre_a2)):
        async with unit_of_work(sessionmaker) as session:
            made[key], _ = await service.submit_initiative(
                session,
                author=await person(session, author),
                settings=settings,
                embedder=embedder,
                **fields,
            )
            assert made[key].embedding is not None
    async with unit_of_work(sessionmaker) as session:
        _, similar = await service.submit_initiative(
            session,
            author=await person(session, world.cadre_b),
            settings=settings,
            embedder=embedder,
            **QR_PARAPHRASE,
        )
    assert [s.number for s in similar] == [made["qr"].number]
    assert similar[0].method == "semantic" and similar[0].score >= settings.initiative_similarity
