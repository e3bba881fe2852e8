"""An official's output record: figures counted from the rows themselves, each with the list
of rows it counts (its evidence), so a figure can never disagree with what it links to.

No ranking and no score: one person's record, for the person, their units' supervisors and
admins. Fronts turn an evidence item (kind, id) into a link.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.cases.access import supervised_ids
from core.cases.enums import ProposalStatus
from core.cases.models import Case, PrecedentProposal
from core.db import get_row
from core.drills.models import DrillDelivery
from core.errors import forbidden
from core.initiatives.enums import AuthorStatus, InitiativeStatus
from core.initiatives.models import Initiative, InitiativeAuthor
from core.recognition.models import Commendation, PrecedentReuse
from core.recognition.reuse import other_units
from core.sheets import csv_bytes
from core.tasks.enums import TaskStatus
from core.tasks.models import HardTask
from core.users.authz import is_admin
from core.users.models import User


@dataclass(frozen=True)
class Evidence:
    """One row a figure counts: what it is (case, precedent, initiative, task, commendation),
    its id, and how it is named."""

    kind: str
    id: int
    label: str


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    evidence: list[Evidence]

    @property
    def count(self) -> int:
        return len(self.evidence)


@dataclass(frozen=True)
class OutputRecord:
    official: User
    figures: list[Figure]


async def may_view(session: AsyncSession, actor: User, official: User) -> bool:
    """The official themselves, supervisors of their unit, admins."""
    if not actor.active:
        return False
    if is_admin(actor) or actor.id == official.id:
        return True
    return official.unit_id in await supervised_ids(session, actor)


async def _cases(session: AsyncSession, *where: ColumnElement[bool]) -> list[Evidence]:
    rows = await session.scalars(select(Case).where(*where).order_by(Case.id))
    return [Evidence("case", c.id, c.number) for c in rows.unique()]


async def _tasks(session: AsyncSession, *where: ColumnElement[bool]) -> list[Evidence]:
    rows = await session.scalars(select(HardTask).where(*where).order_by(HardTask.id))
    return [Evidence("task", t.id, f"#{t.id} {t.title}") for t in rows.unique()]


async def build(session: AsyncSession, *, actor: User, user_id: int) -> OutputRecord:
    """The record of `user_id` as `actor` may see it (FORBIDDEN otherwise)."""
    official = await get_row(session, User, user_id, "người dùng")
    if not await may_view(session, actor, official):
        raise forbidden("Bạn chỉ xem được hồ sơ công vụ của mình hoặc của đơn vị mình phụ trách.")
    uid = official.id
    answered = Case.answered_by_id == uid
    precedents = await session.scalars(
        select(PrecedentProposal)
        .join(Case, Case.id == PrecedentProposal.case_id)
        .where(PrecedentProposal.status == ProposalStatus.APPROVED, answered)
        .order_by(PrecedentProposal.id)
    )
    authored = list(precedents.unique())
    reused = await other_units(session, [p.id for p in authored])
    titles = {p.id: p.title for p in authored}
    reuses = await session.scalars(
        select(PrecedentReuse)
        .where(PrecedentReuse.proposal_id.in_(list(titles)))
        .order_by(PrecedentReuse.id)
    )
    initiatives = await session.scalars(
        select(Initiative)
        .join(InitiativeAuthor, InitiativeAuthor.initiative_id == Initiative.id)
        .where(
            InitiativeAuthor.user_id == uid,
            InitiativeAuthor.status == AuthorStatus.ACTIVE,
            Initiative.status == InitiativeStatus.RECOGNISED,
        )
        .order_by(Initiative.id)
    )
    commendations = await session.scalars(
        select(Commendation).where(Commendation.user_id == uid).order_by(Commendation.id)
    )
    drills = await session.scalars(
        select(DrillDelivery)
        .where(DrillDelivery.user_id == uid, DrillDelivery.answered_at.is_not(None))
        .order_by(DrillDelivery.id)
    )
    owned = HardTask.owner_id == uid
    done = HardTask.status == TaskStatus.DONE
    figures = [
        Figure("cases_asked", "Xin ý kiến đã gửi", await _cases(session, Case.asker_id == uid)),
        Figure("cases_answered", "Xin ý kiến đã trả lời", await _cases(session, answered)),
        Figure(
            "cases_answered_on_time",
            "Xin ý kiến trả lời đúng hạn",
            await _cases(session, answered, Case.answered_at <= Case.due_at),
        ),
        Figure(
            "precedents",
            "Câu trả lời được duyệt thành hướng dẫn",
            [
                Evidence("precedent", p.id, _reused_label(p.title, reused.get(p.id, 0)))
                for p in authored
            ],
        ),
        Figure(
            "precedent_reuses",
            "Lượt cán bộ xã khác dùng lại hướng dẫn của mình",
            [
                Evidence("precedent", r.proposal_id, f"{titles[r.proposal_id]} — {r.unit.name}")
                for r in reuses.unique()
            ],
        ),
        Figure(
            "initiatives",
            "Sáng kiến được công nhận",
            [Evidence("initiative", i.id, f"{i.number} {i.title}") for i in initiatives.unique()],
        ),
        Figure(
            "drills_completed",
            "Bài luyện tập tình huống đã làm",
            [Evidence("drill", d.drill_id, d.drill.title) for d in drills.unique()],
        ),
        Figure("tasks_owned", "Việc khó được giao", await _tasks(session, owned)),
        Figure("tasks_done", "Việc khó đã hoàn thành", await _tasks(session, owned, done)),
        Figure(
            "tasks_done_on_time",
            "Việc khó hoàn thành đúng hạn",
            await _tasks(session, owned, done, HardTask.closed_at <= HardTask.due_at),
        ),
        Figure(
            "commendations",
            "Lần được biểu dương",
            [Evidence("commendation", c.id, c.citation) for c in commendations.unique()],
        ),
    ]
    return OutputRecord(official, figures)


def _reused_label(title: str, units: int) -> str:
    return f"{title} (được {units} xã khác dùng lại)" if units else title


def record_csv(record: OutputRecord) -> bytes:
    """The record as CSV: one line per figure, then one line per evidence row."""
    rows: list[list[object]] = [["Hồ sơ công vụ", record.official.full_name], []]
    rows.append(["Chỉ số", "Số lượng"])
    rows += [[f.label, f.count] for f in record.figures]
    rows += [[], ["Chỉ số", "Loại", "Mã", "Nội dung"]]
    rows += [[f.label, e.kind, e.id, e.label] for f in record.figures for e in f.evidence]
    return csv_bytes(rows)
