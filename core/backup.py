"""Backup and restore of one installation into one .tar.gz: the database (SQLite through its
online backup API; PostgreSQL through pg_dump/pg_restore), the files in the data dir that
exist nowhere else (case attachments, uploads), the generated secret key and the audit
anchors. The search index and the models are not included: they are rebuilt or reinstalled.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from core.config import Settings

MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite"
PG_MEMBER = "database.pgdump"
# Data-dir entries that are state (not caches): directories and single files.
DIRS = ("attachments", "uploads", "web_uploads")
FILES = ("secret_key", "audit_anchors.jsonl")


class BackupError(Exception):
    """A backup or restore that cannot proceed; the message is for the operator (Vietnamese)."""


@dataclass(frozen=True)
class Summary:
    archive: Path
    database: str
    files: int
    bytes: int


def _sqlite_path(settings: Settings) -> Path | None:
    url = make_url(settings.resolved_database_url)
    if not url.get_backend_name().startswith("sqlite"):
        return None
    return Path(url.database or "").resolve()


def _pg_url(settings: Settings) -> str:
    """A libpq URL (pg_dump does not know SQLAlchemy's driver suffix)."""
    url = make_url(settings.resolved_database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"Không tìm thấy lệnh {name}: hãy cài gói postgresql-client.")
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _state_files(data_dir: Path) -> list[Path]:
    found = [data_dir / name for name in FILES if (data_dir / name).is_file()]
    for folder in DIRS:
        root = data_dir / folder
        if root.is_dir():
            found.extend(sorted(p for p in root.rglob("*") if p.is_file()))
    return found


def create(settings: Settings, archive: Path) -> Summary:
    """Write the backup archive (refuses to overwrite an existing file)."""
    if archive.exists():
        raise BackupError(f"Tệp {archive} đã tồn tại.")
    data_dir = settings.data_dir.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_path = _sqlite_path(settings)
        if sqlite_path is not None:
            if not sqlite_path.exists():
                raise BackupError(f"Không có cơ sở dữ liệu tại {sqlite_path}.")
            db_file, kind = Path(tmp) / SQLITE_MEMBER, "sqlite"
            # The online backup API: a consistent copy while the server keeps writing.
            source = sqlite3.connect(sqlite_path)
            target = sqlite3.connect(db_file)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
        else:
            db_file, kind = Path(tmp) / PG_MEMBER, "postgresql"
            command = [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges"]
            _run([*command, f"--file={db_file}", f"--dbname={_pg_url(settings)}"])
        members = [(db_file, db_file.name)]
        members += [
            (p, "data/" + p.relative_to(data_dir).as_posix()) for p in _state_files(data_dir)
        ]
        manifest = {
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": kind,
            "files": {name: _sha256(path) for path, name in members},
        }
        archive.parent.mkdir(parents=True, exist_ok=True)
        partial = archive.with_name(archive.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            raw = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
            for path, name in members:
                tar.add(path, arcname=name, recursive=False)
        os.replace(partial, archive)
        archive.chmod(0o600)  # it holds the secret key
        size = sum(path.stat().st_size for path, _ in members)
    return Summary(archive, kind, len(members) - 1, size)


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"Lệnh {Path(command[0]).name} lỗi: {result.stderr.strip()[:500]}")


def _pg_has_data(settings: Settings) -> bool:
    query = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
    psql = shutil.which("psql")
    if psql is None:
        return True  # cannot tell: treat as in use
    result = subprocess.run(
        [psql, "-Atc", query, _pg_url(settings)], capture_output=True, text=True, check=False
    )
    return result.returncode != 0 or result.stdout.strip() not in ("", "0")


def restore(settings: Settings, archive: Path, *, force: bool = False) -> Summary:
    """Put the archive's database and files in place. Without `force`, refuses when the
    target database or any of the files already exists."""
    data_dir = settings.data_dir.resolve()
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(archive, "r:gz") as tar:
        names = tar.getnames()
        if MANIFEST not in names:
            raise BackupError("Tệp không phải bản sao lưu của Trợ lý Cơ sở (thiếu manifest).")
        tar.extractall(tmp, filter="data")
        root = Path(tmp)
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
        for name, digest in manifest["files"].items():
            if _sha256(root / name) != digest:
                raise BackupError(f"Bản sao lưu bị hỏng: {name} không khớp mã băm.")
        kind = manifest["database"]
        sqlite_path = _sqlite_path(settings)
        if (kind == "sqlite") != (sqlite_path is not None):
            raise BackupError(f"Bản sao lưu dùng {kind}, cấu hình hiện tại dùng loại khác.")
        files = [n for n in manifest["files"] if n.startswith("data/")]
        existing = [n for n in files if (data_dir / n.removeprefix("data/")).exists()]
        if sqlite_path is not None and sqlite_path.exists():
            existing.append(str(sqlite_path))
        if sqlite_path is None and _pg_has_data(settings):
            existing.append("cơ sở dữ liệu PostgreSQL đang có bảng")
        if existing and not force:
            raise BackupError(
                "Đã có dữ liệu ở nơi khôi phục (" + ", ".join(existing[:5]) + "). "
                "Dùng --force để ghi đè."
            )
        if sqlite_path is not None:
            sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            staged = sqlite_path.with_name(sqlite_path.name + ".restoring")
            shutil.copyfile(root / SQLITE_MEMBER, staged)
            for suffix in ("-wal", "-shm"):
                Path(str(sqlite_path) + suffix).unlink(missing_ok=True)
            os.replace(staged, sqlite_path)
        else:
            command = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--clean"]
            command += ["--if-exists", "--single-transaction"]
            _run([*command, f"--dbname={_pg_url(settings)}", str(root / PG_MEMBER)])
        for name in files:
            target = data_dir / name.removeprefix("data/")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, target)
        # The index reflects the database it was built from: rebuilt at the next start.
        shutil.rmtree(settings.index_dir, ignore_errors=True)
        size = sum((root / n).stat().st_size for n in manifest["files"])
    return Summary(archive, kind, len(files), size)
