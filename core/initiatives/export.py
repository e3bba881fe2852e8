"""Export evaluation results to CSV and XLSX for a council meeting (Vietnamese headers)."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from core.errors import invalid
from core.initiatives.enums import EvaluationStatus
from core.initiatives.models import Evaluation, Initiative
from core.initiatives.rubric import get_rubric_version, parse_criteria
from core.initiatives.scoring import aggregate
from core.initiatives.service import filtered
from core.initiatives.views import HIDDEN, view_for
from core.sheets import csv_bytes, safe_row
from core.users.authz import is_admin, require_active, require_role
from core.users.enums import Role
from core.users.models import User

HEADERS = [
    "Số sáng kiến",
    "Tên sáng kiến",
    "Tác giả",
    "Đồng tác giả",
    "Đơn vị",
    "Lĩnh vực",
    "Kỳ",
    "Trạng thái",
    "Số phiếu đã chấm",
    "Điểm trung bình (0-100)",
    "Độ lệch giữa người chấm",
    "Chênh lệch vượt ngưỡng",
    "Không đạt tiêu chí bắt buộc",
    "Điểm trung bình theo tiêu chí",
    "Ghi chú kết luận",
]
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _yes(value: bool) -> str:
    return "Có" if value else "Không"


async def result_rows(
    session: AsyncSession,
    *,
    actor: User,
    settings: Settings,
    status: str | None = None,
    period: str | None = None,
    unit_id: int | None = None,
) -> list[list[Any]]:
    """One row per initiative the actor may see, through the actor's view: evaluators never get
    authors or units, and get scores only where they have already submitted their own sheet."""
    require_active(actor)
    require_role(
        actor,
        Role.ADMIN,
        Role.EVALUATOR,
        message="Chỉ quản trị viên và người đánh giá mới xuất kết quả chấm.",
    )
    stmt = filtered(actor, status=status, period=period, unit_id=unit_id)
    initiatives = list((await session.scalars(stmt.order_by(Initiative.id))).unique())
    sheets: dict[int, list[Evaluation]] = {i.id: [] for i in initiatives}
    if initiatives:
        for e in (
            await session.scalars(
                select(Evaluation).where(Evaluation.initiative_id.in_(list(sheets)))
            )
        ).unique():
            sheets[e.initiative_id].append(e)
    rows: list[list[Any]] = []
    for i in initiatives:
        mine = next((e for e in sheets[i.id] if e.evaluator_id == actor.id), None)
        blind = not is_admin(actor) and (mine is None or mine.status != EvaluationStatus.SUBMITTED)
        view = view_for(actor, i)
        row: list[Any] = [
            view.number,
            view.title,
            *(
                [HIDDEN] * 3
                if view.identity_hidden
                else [view.author_name, ", ".join(view.coauthor_names), view.unit_name]
            ),
            view.field,
            view.period,
            view.status_label,
        ]
        if blind or i.rubric_version_id is None:
            row += [None, None, None, None, None, None]
        else:
            rubric = await get_rubric_version(session, rubric_version_id=i.rubric_version_id)
            criteria = parse_criteria(rubric.criteria)
            res = aggregate(sheets[i.id], criteria, settings.disagreement_threshold)
            by_key = {c.key: c.name for c in criteria}
            row += [
                res.submitted,
                res.mean_total,
                res.spread,
                _yes(res.disagreement) if res.submitted else None,
                ", ".join(by_key[k] for k in res.failed_gates) if res.gate_failed else "Không",
                "; ".join(f"{by_key[k]}: {v:g}" for k, v in res.criteria_means.items()),
            ]
        row.append(i.decision_note or "")
        rows.append(row)
    return rows


def to_csv(rows: list[list[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel shows Vietnamese correctly."""
    return csv_bytes([HEADERS, *rows])


def to_xlsx(rows: list[list[Any]]) -> bytes:
    """A one-sheet workbook with a bold, frozen header row."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Kết quả chấm"
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(safe_row(row))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    widths = (16, 40, 22, 22, 24, 16, 8, 18, 12, 12, 12, 12, 16, 40, 40)
    for column, width in zip("ABCDEFGHIJKLMNO", widths, strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def export_results(
    session: AsyncSession, *, actor: User, fmt: str, settings: Settings, **filters: Any
) -> tuple[bytes, str, str]:
    """The export as (content, media type, file name)."""
    if fmt not in MEDIA_TYPES:
        raise invalid("Định dạng xuất phải là csv hoặc xlsx.")
    rows = await result_rows(session, actor=actor, settings=settings, **filters)
    content = to_csv(rows) if fmt == "csv" else to_xlsx(rows)
    return content, MEDIA_TYPES[fmt], f"ket-qua-sang-kien.{fmt}"
