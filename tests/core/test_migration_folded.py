"""Migration 0012 folds the names and questions already stored, so the accent-insensitive
searches find rows written before it (issue 11)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from core.db import create_engine
from core.migrate import upgrade


async def test_existing_rows_are_folded_by_the_migration(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        await upgrade(engine, "0011")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO units (id, name, kind, positions, created_at) "
                    "VALUES (1, 'Xã Hòa Bình', 'commune', '[]', '2026-01-01 00:00:00')"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO users (id, full_name, role, unit_id, active, topics, created_at)"
                    " VALUES (1, 'Nguyễn Thị Đào', 'cadre', 1, 1, '[]', '2026-01-01 00:00:00')"
                )
            )
        await upgrade(engine, "0012")
        async with engine.connect() as conn:
            folded = (await conn.execute(text("SELECT name_folded FROM users"))).scalar()
        assert folded == "nguyen thi dao"
    finally:
        await engine.dispose()
