"""`troly kb ...` end to end against a real migrated database (lexical-only index, so no model
load): seed, import a folder, list, show, retire, and a clear error for an unsupported file."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import kb as kb_cli
from cli.main import app
from core.config import get_settings

runner = CliRunner()

HANDBOOK = """---
kind: guidance
title: Hướng dẫn mẫu về trực ban
---
Điều 1. Lịch trực
Công chức trực ban theo lịch tuần do văn phòng lập.

Điều 2. Sổ trực
Người trực ghi sổ trực và bàn giao cho ca sau.
"""


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the CLI's settings at this test's database and an empty model folder."""
    monkeypatch.setenv("TROLY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TROLY_DATABASE_URL", db_url)
    monkeypatch.setenv("TROLY_MODELS_DIR", str(tmp_path / "no-models"))
    get_settings.cache_clear()
    monkeypatch.setattr(kb_cli.console, "width", 200)  # no line wrapping in asserted output
    yield tmp_path
    get_settings.cache_clear()


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_kb_commands(cli_env: Path) -> None:
    out = _ok("kb", "seed", "--no-index")
    assert out.count("mới:") == 3
    assert "không đổi" in _ok("kb", "seed", "--no-index")

    folder = cli_env / "docs"
    folder.mkdir()
    (folder / "truc-ban.md").write_text(HANDBOOK, encoding="utf-8")
    row = {
        "id": "Nội quy mẫu#1",
        "document": "Nội quy mẫu",
        "article": "1",
        "title": "Giờ mở cửa",
        "text": "Bộ phận một cửa mở cửa từ 7 giờ 30 các ngày làm việc.",
    }
    (folder / "noi-quy.jsonl").write_text(json.dumps(row, ensure_ascii=False), encoding="utf-8")
    (folder / "ghi-chu.xlsx").write_bytes(b"ignored: not a supported suffix")
    out = _ok("kb", "import", str(folder))
    assert "Hướng dẫn mẫu về trực ban" in out and "Nội quy mẫu" in out
    # After committing, the search index was synced: 53 starter chunks + 2 + 1.
    indexed = re.search(r"Chỉ mục tìm kiếm: (\d+) đoạn", out)
    assert indexed is not None and int(indexed.group(1)) > 3

    out = _ok("kb", "list", "--search", "truc ban")
    assert "1 văn bản" in out and "Hướng dẫn mẫu về trực ban" in out
    doc_id = re.search(r"│ (\d+)\s+│ guidance", out)
    assert doc_id is not None

    out = _ok("kb", "show", doc_id.group(1))
    assert "Các phiên bản" in out and "truc-ban.md" in out
    assert "Hướng dẫn mẫu về trực ban, Điều 2" in out

    out = _ok("kb", "retire", doc_id.group(1), "--yes", "--no-index")
    assert "Đã gỡ" in out
    out = _ok("kb", "list", "--status", "retired")
    assert "Hướng dẫn mẫu về trực ban" in out


def test_kb_import_reports_unsupported_and_missing_files(cli_env: Path) -> None:
    bad = cli_env / "bang.xlsx"
    bad.write_bytes(b"not a document")
    result = runner.invoke(app, ["kb", "import", str(bad), "--no-index"])
    assert result.exit_code == 1 and "Không hỗ trợ tệp" in result.output
    result = runner.invoke(app, ["kb", "import", str(cli_env / "khong-co.md")])
    assert result.exit_code == 1 and "Không tìm thấy" in result.output
    result = runner.invoke(app, ["kb", "retire", "999", "--yes"])
    assert result.exit_code == 1 and "Không tìm thấy văn bản" in result.output


def test_kb_import_takes_scope_and_metadata_options(cli_env: Path) -> None:
    """Issue 10, defect 9: the CLI sets scope, unit, issuer, number and dates like the console."""
    _ok("users", "unit", "add", "Tỉnh Mẫu", "--kind", "province")
    _ok("users", "unit", "add", "Xã An Bình", "--kind", "commune", "--parent", "Tỉnh Mẫu")
    path = cli_env / "quy-che.md"
    path.write_text(HANDBOOK, encoding="utf-8")
    out = _ok(
        "kb", "import", str(path), "--no-index", "--scope", "unit", "--scope-unit", "Xã An Bình",
        "--issuer", "UBND xã An Bình", "--effective-from", "15/01/2026",
    )  # fmt: skip
    doc_id = re.search(r"│ (\d+)\s+│", out)
    assert doc_id is not None
    out = _ok("kb", "show", doc_id.group(1))
    assert "unit (đơn vị #" in out and "UBND xã An Bình" in out and "15/01/2026" in out
    result = runner.invoke(app, ["kb", "import", str(path), "--scope", "everywhere"])
    assert result.exit_code != 0 and "Phạm vi (scope) không hợp lệ" in result.output


def test_kb_import_prints_the_jobs_progress(cli_env: Path) -> None:
    """Issue 11 #9: the CLI runs the same import job as the other fronts and shows its
    progress (passages stored of the total) per file; the staged copy is removed."""
    path = cli_env / "quy-che.md"
    path.write_text(HANDBOOK, encoding="utf-8")
    out = _ok("kb", "import", str(path), "--no-index")
    assert re.search(r"quy-che\.md: Đã nhập \(đoạn\) .* 2/2", out), out
    assert list((cli_env / "data" / "uploads").iterdir()) == []
