"""`troly backup` / `troly restore` round trip: every table row, the attachments and uploads,
the secret key and the audit anchors come back byte for byte (SQLite, and PostgreSQL with
pg_dump/pg_restore); restore refuses to overwrite without --force."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import backup
from core.anchoring import anchor_now
from core.audit.anchors import anchors_file
from core.cases import files
from core.config import Settings
from core.db import Base, create_engine, unit_of_work
from core.users.enums import Role
from knowledge import service as kb_service
from knowledge.importers import parse_file
from tests.conftest import PG_ADMIN_URL
from tests.factories import make_ladder, make_person

DOC = "# Quy chế mẫu\n\nĐiều 1. Lưu trữ\nVăn thư xã lập danh mục hồ sơ hằng năm.\n"


async def _populate(settings: Settings, sm: async_sessionmaker[AsyncSession]) -> None:
    async with unit_of_work(sm) as session:
        ladder = await make_ladder(session, province="Tỉnh Mẫu", communes=[("Xã Một", [])])
        await make_person(session, role=Role.ADMIN, unit_id=ladder.province_id, name="Quản Trị")
        await kb_service.import_parsed(session, parse_file(DOC.encode(), "quy_che.md"))
    async with unit_of_work(sm) as session:
        assert await anchor_now(session, settings) is not None  # anchors file + outbox rows
    files.save(settings, name="ảnh hồ sơ.jpg", data=b"\xff\xd8photo" * 1000)
    (settings.data_dir / "uploads").mkdir(exist_ok=True)
    (settings.data_dir / "uploads" / "vb.docx").write_bytes(b"PK\x03\x04docx")
    settings.signing_key()  # the generated secret key file


async def _dump(url: str) -> dict[str, list[Any]]:
    engine = create_engine(url)
    out: dict[str, list[Any]] = {}
    async with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = await conn.execute(select(table).order_by(*order))
            out[table.name] = [tuple(r) for r in rows]
    await engine.dispose()
    return out


def _state_files(data_dir: Path) -> dict[str, bytes]:
    return {
        p.relative_to(data_dir).as_posix(): p.read_bytes()
        for p in sorted(data_dir.rglob("*"))
        if p.is_file() and p.relative_to(data_dir).parts[0] not in ("index", "models")
        and not p.name.startswith("troly.db")
    }  # fmt: skip


@pytest.fixture
async def target_url(db_url: str, tmp_path: Path) -> Any:
    """An empty database of the same kind to restore into."""
    if db_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'restored' / 'troly.db'}"
        return
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump not installed")
    name = f"troly_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL)
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rpartition("/")[0] + "/" + name
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


async def test_round_trip_loses_nothing(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    db_url: str,
    target_url: str,
    tmp_path: Path,
) -> None:
    await _populate(settings, sessionmaker)
    archive = tmp_path / "out" / "backup.tar.gz"
    made = backup.create(settings, archive)
    assert made.files == 4 and archive.stat().st_mode & 0o077 == 0
    with pytest.raises(backup.BackupError):
        backup.create(settings, archive)  # never overwrites a backup

    restored = Settings(data_dir=tmp_path / "restored", database_url=target_url)
    (restored.index_dir).mkdir(parents=True)  # a stale index must not survive a restore
    result = backup.restore(restored, archive)
    assert result.database == ("sqlite" if db_url.startswith("sqlite") else "postgresql")
    assert await _dump(target_url) == await _dump(db_url)
    assert _state_files(restored.data_dir) == _state_files(settings.data_dir)
    assert restored.signing_key() == settings.signing_key()
    assert anchors_file(restored).read_bytes() == anchors_file(settings).read_bytes()
    assert not restored.index_dir.exists()

    # Over existing data: refused, unless forced.
    with pytest.raises(backup.BackupError, match="--force"):
        backup.restore(restored, archive)
    backup.restore(restored, archive, force=True)
    assert await _dump(target_url) == await _dump(db_url)


def test_a_damaged_archive_is_refused(settings: Settings, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.tar.gz"
    import tarfile

    with tarfile.open(bogus, "w:gz") as tar:
        tar.add(__file__, arcname="something.py")
    with pytest.raises(backup.BackupError, match="manifest"):
        backup.restore(settings, bogus)
