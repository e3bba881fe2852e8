"""Analytics for supervisors (their units) and admins: charts and a CSV export.

Figures come from core.cases.stats (queue) and core.stats.questions (questions asked); this
module only picks a period, draws and exports them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import SessionDep
from api.web.charts import BAD, BAR, GOOD, bar_list, column_chart, split_bar
from api.web.common import Viewer, WebRoute, ctx_of, render
from api.web.queue import status_label
from core.cases import stats as case_stats
from core.cases.stats import CaseStats
from core.errors import invalid
from core.inputs import Line
from core.sheets import csv_bytes
from core.stats import questions as question_stats
from core.stats.questions import QuestionStats
from core.text import fold
from core.users.authz import require_role
from core.users.enums import Role
from core.users.models import User

router = APIRouter(route_class=WebRoute)
DEFAULT_DAYS = 30
# Not-covered questions summarised into frequent two-syllable phrases ("nghỉ phép", "hộ tịch").
PHRASE_SAMPLE = 300
# Function syllables that never make a topic on their own (compared without diacritics).
_STOP_WORDS = (
    "a ai anh bao bi cac can cho chi co cua da dang de den di do duoc em gi hay hoi khi khong "
    "la lai lam minh muon mot nao neu nhieu nhu nhung nay ong phai ra roi sao se ta the thi "
    "theo thoi toi trong tu va vao ve voi xa xin y kien"
)
_STOP = frozenset(_STOP_WORDS.split())
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Period:
    """A date range in local time, [start, end] inclusive."""

    start: date
    end: date
    tz: ZoneInfo

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, self.tz)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, self.tz)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def _period(request: Request, start: str, end: str) -> Period:
    tz = ZoneInfo(ctx_of(request).settings.timezone)
    today = datetime.now(tz).date()
    try:
        last = date.fromisoformat(end) if end else today
        first = date.fromisoformat(start) if start else last - timedelta(days=DEFAULT_DAYS - 1)
    except ValueError as exc:
        raise invalid("Ngày không hợp lệ (định dạng YYYY-MM-DD).") from exc
    if first > last or (last - first).days > 366:
        raise invalid("Khoảng thời gian phải từ 1 đến 366 ngày.")
    return Period(first, last, tz)


async def _figures(
    request: Request, session: AsyncSession, actor: User, period: Period
) -> tuple[CaseStats, QuestionStats]:
    ctx = ctx_of(request)
    cases = await case_stats.case_stats(
        session, actor=actor, settings=ctx.settings, since=period.since, until=period.until
    )
    questions = await question_stats.question_stats(
        session, actor=actor, since=period.since, until=period.until, examples=PHRASE_SAMPLE
    )
    return cases, questions


def frequent_phrases(queries: list[str], limit: int = 10) -> list[tuple[str, int]]:
    """Two-syllable phrases that recur across questions (each counted once per question)."""
    counts: Counter[str] = Counter()
    shown: dict[str, Counter[str]] = {}
    for query in queries:
        words = _WORD.findall(query.lower())
        seen: set[str] = set()
        for a, b in pairwise(words):
            key = f"{fold(a)} {fold(b)}"
            if fold(a) in _STOP or fold(b) in _STOP or a.isdigit() or b.isdigit():
                continue
            if key not in seen:
                seen.add(key)
                counts[key] += 1
                shown.setdefault(key, Counter())[f"{a} {b}"] += 1
    return [
        (shown[key].most_common(1)[0][0], n)
        for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if n > 1
    ][:limit]


def _topics(cases: CaseStats, limit: int = 10) -> list[tuple[str, int]]:
    return sorted(cases.by_topic.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


@router.get("/analytics")
async def analytics_page(
    request: Request, auth: Viewer, session: SessionDep, start: Line = "", end: Line = ""
) -> HTMLResponse:
    """Charts over the chosen period (default: the last 30 days)."""
    require_role(auth.user, Role.SUPERVISOR, Role.ADMIN)
    period = _period(request, start, end)
    cases, questions = await _figures(request, session, auth.user, period)
    per_day = [(d.strftime("%d/%m"), float(questions.per_day.get(d, 0))) for d in period.days()]
    covered, sent_on, left_open = questions.coverage()
    sla_rows = [
        (u.unit_name, u.sla_rate or 0.0, GOOD if (u.sla_rate or 0) >= 0.8 else BAD)
        for u in cases.by_unit
        if u.answered
    ]
    helpful = questions.helpful + cases.feedback.get("helpful", 0)
    unhelpful = questions.unhelpful + cases.feedback.get("unhelpful", 0)
    return render(
        request,
        "analytics.html",
        auth,
        period=period,
        cases=cases,
        questions=questions,
        covered=covered,
        chart_per_day=column_chart(per_day, title="Số câu hỏi mỗi ngày"),
        chart_share=split_bar(
            [
                ("Trả lời từ kho tri thức", covered, GOOD),
                ("Chưa có, đã chuyển xin ý kiến", sent_on, BAR),
                ("Chưa có, chưa xin ý kiến", left_open, BAD),
            ],
            title="Câu hỏi trả lời từ kho tri thức và chưa có trong kho",
        ),
        chart_sla=bar_list(
            sla_rows, title="Tỷ lệ trả lời đúng hạn theo đơn vị", maximum=1.0, percent=True
        ),
        chart_topics=bar_list(
            [(topic, float(n), BAR) for topic, n in _topics(cases)],
            title="Chủ đề xin ý kiến nhiều nhất",
        ),
        chart_gaps=bar_list(
            [
                (phrase, float(n), BAD)
                for phrase, n in frequent_phrases([q.query for q in questions.not_covered_recent])
            ],
            title="Cụm từ thường gặp trong câu hỏi chưa có hướng dẫn",
        ),
        chart_feedback=bar_list(
            [("Hữu ích", float(helpful), GOOD), ("Chưa đúng", float(unhelpful), BAD)],
            title="Đánh giá của người hỏi",
        ),
        status_label=status_label,
    )


@router.get("/analytics.csv")
async def analytics_csv(
    request: Request, auth: Viewer, session: SessionDep, start: Line = "", end: Line = ""
) -> Response:
    """The same figures as CSV (UTF-8 with BOM so spreadsheet programs show Vietnamese)."""
    require_role(auth.user, Role.SUPERVISOR, Role.ADMIN)
    period = _period(request, start, end)
    cases, questions = await _figures(request, session, auth.user, period)
    rows: list[list[object]] = [
        ["Mục", "Khóa", "Giá trị", "Ghi chú"],
        ["Khoảng thời gian", period.start.isoformat(), period.end.isoformat(), ""],
    ]
    for key, value in (
        ("Số câu hỏi", questions.questions),
        ("Chưa có trong kho tri thức", questions.not_covered),
        ("Độ tin cậy thấp", questions.low_confidence),
        ("Chuyển xin ý kiến", questions.escalated),
        ("Hữu ích", questions.helpful),
        ("Chưa đúng", questions.unhelpful),
        ("Xin ý kiến", cases.total),
        ("Đã trả lời", cases.answered),
        ("Trả lời đúng hạn", cases.on_time),
        ("Quá hạn đang mở", cases.overdue_open),
        ("Thời gian trả lời trung vị (giờ)", cases.median_hours_to_answer),
        ("Thời gian trả lời trung vị (giờ làm việc)", cases.median_working_hours_to_answer),
    ):
        rows.append(["Tổng", key, "" if value is None else value, ""])
    for day in period.days():
        rows.append(["Câu hỏi theo ngày", day.isoformat(), questions.per_day.get(day, 0), ""])
    for u in cases.by_unit:
        rate = "" if u.sla_rate is None else f"{u.sla_rate:.4f}"
        rows.append(
            ["Đúng hạn theo đơn vị", u.unit_name, rate, f"{u.on_time}/{u.answered} đã trả lời"]
        )
    for topic, n in _topics(cases, limit=100):
        rows.append(["Chủ đề xin ý kiến", topic, n, ""])
    for status, n in sorted(cases.by_status.items()):
        rows.append(["Trạng thái xin ý kiến", status_label(status), n, ""])
    for phrase, n in frequent_phrases([q.query for q in questions.not_covered_recent], 50):
        rows.append(["Cụm từ trong câu hỏi chưa có hướng dẫn", phrase, n, ""])
    for item in questions.not_covered_recent:
        rows.append(["Câu hỏi chưa có hướng dẫn", item.created_at.isoformat(), item.query, ""])
    name = f"thong-ke-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return Response(
        csv_bytes(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
