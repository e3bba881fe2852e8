"""The scoring rubric: criteria, validation, versioning and the arithmetic of one score sheet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.service import record
from core.db import get_row
from core.errors import invalid
from core.initiatives.models import RubricVersion
from core.users.authz import require_admin
from core.users.models import User


@dataclass(frozen=True)
class Criterion:
    """One rubric criterion. A gate fails when its score is below `pass_mark`."""

    key: str
    name: str
    description: str
    weight: float
    scale_min: int
    scale_max: int
    gate: bool = False
    # Lowest passing score of a gate; None means "anything above the scale minimum".
    pass_mark: int | None = None

    @property
    def effective_pass_mark(self) -> int:
        """The lowest score at which a gate criterion passes."""
        return self.pass_mark if self.pass_mark is not None else self.scale_min + 1

    def normalised(self, score: int) -> float:
        """The score mapped onto 0..1 along this criterion's scale."""
        return (score - self.scale_min) / (self.scale_max - self.scale_min)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form stored in a rubric version."""
        return {
            "key": self.key,
            "name": self.name,
            "description": self.description,
            "weight": self.weight,
            "scale_min": self.scale_min,
            "scale_max": self.scale_max,
            "gate": self.gate,
            "pass_mark": self.pass_mark,
        }


DEFAULT_CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "novelty",
        "Tính mới",
        "Giải pháp chưa từng được áp dụng tại đơn vị hoặc cải tiến rõ rệt so với cách làm cũ.",
        30,
        1,
        5,
    ),
    Criterion(
        "benefit",
        "Hiệu quả đo được",
        "Kết quả có số liệu kiểm chứng: thời gian, chi phí, số người được phục vụ, sai sót giảm.",
        30,
        1,
        5,
    ),
    Criterion(
        "replicability",
        "Khả năng nhân rộng",
        "Đơn vị khác có thể áp dụng với điều chỉnh nhỏ, không cần điều kiện đặc thù.",
        20,
        1,
        5,
    ),
    Criterion(
        "compliance",
        "Tuân thủ quy định",
        "Cách làm nằm trong khuôn khổ pháp luật và quy trình hiện hành (có/không). "
        "Chấm 0 (không) thì sáng kiến không được công nhận, bất kể tổng điểm.",
        0,
        0,
        1,
        gate=True,
    ),
    Criterion(
        "cost",
        "Chi phí",
        "Chi phí thực hiện hợp lý so với lợi ích; điểm cao nghĩa là tiết kiệm.",
        20,
        1,
        5,
    ),
)


# What the rubric's numeric fields are called on the form, for messages that name them.
FIELD_LABELS = {
    "weight": "Trọng số",
    "scale_min": "Điểm tối thiểu",
    "scale_max": "Điểm tối đa",
    "pass_mark": "Mức đạt",
}
# A new rubric's weights add up to this, so each weight reads as a share of the total score.
WEIGHT_TOTAL = 100


def _number(item: dict[str, Any], name: str, whole: bool) -> Any:
    """One numeric field of a submitted criterion, or a message naming the field and row."""
    raw = item.get(name)
    try:
        text = str(raw).strip().replace(",", ".")
        return int(text) if whole else float(text)
    except (TypeError, ValueError):
        who = str(item.get("name") or item.get("key") or "").strip()
        kind = "số nguyên" if whole else "số"
        shown = "" if raw is None else str(raw)
        raise invalid(
            f"{FIELD_LABELS[name]} của tiêu chí “{who}” phải là {kind} (đang nhập “{shown}”)."
        ) from None


def parse_criteria(raw: list[Any]) -> list[Criterion]:
    """Build criteria from stored/submitted dicts and check that they form a usable rubric."""
    criteria: list[Criterion] = []
    for item in raw:
        if not isinstance(item, dict) or "key" not in item or "name" not in item:
            raise invalid("Tiêu chí chấm điểm không hợp lệ: thiếu mã hoặc tên.")
        pass_mark = item.get("pass_mark")
        criteria.append(
            Criterion(
                key=str(item["key"]).strip(),
                name=str(item["name"]).strip(),
                description=str(item.get("description", "")),
                weight=_number(item, "weight", whole=False),
                scale_min=_number(item, "scale_min", whole=True),
                scale_max=_number(item, "scale_max", whole=True),
                gate=bool(item.get("gate", False)),
                pass_mark=None if pass_mark is None else _number(item, "pass_mark", whole=True),
            )
        )
    validate_criteria(criteria)
    return criteria


def check_weight_total(criteria: list[Criterion]) -> None:
    """A new rubric's weights must add up to WEIGHT_TOTAL (older versions are kept as saved)."""
    total = sum(c.weight for c in criteria)
    if abs(total - WEIGHT_TOTAL) > 1e-9:
        raise invalid(
            f"Tổng trọng số phải bằng {WEIGHT_TOTAL} (hiện là {total:g}); "
            "hãy sửa trọng số rồi lưu lại."
        )


def validate_criteria(criteria: list[Criterion]) -> None:
    """Reject rubrics whose arithmetic would be undefined or ambiguous."""
    if not criteria:
        raise invalid("Bộ tiêu chí phải có ít nhất một tiêu chí.")
    keys = [c.key for c in criteria]
    if len(set(keys)) != len(keys) or any(not k for k in keys):
        raise invalid("Mã tiêu chí phải khác rỗng và không trùng nhau.")
    for c in criteria:
        if not c.name:
            raise invalid(f"Tiêu chí {c.key} chưa có tên.")
        if c.weight < 0:
            raise invalid(f"Trọng số của tiêu chí {c.name} không được âm.")
        if c.scale_max <= c.scale_min:
            raise invalid(f"Thang điểm của tiêu chí {c.name} phải có tối đa lớn hơn tối thiểu.")
        if c.pass_mark is not None and not c.scale_min < c.pass_mark <= c.scale_max:
            raise invalid(f"Mức đạt của tiêu chí {c.name} phải nằm trong thang điểm.")
    if sum(c.weight for c in criteria) <= 0:
        raise invalid("Tổng trọng số phải lớn hơn 0.")


def check_scores(criteria: list[Criterion], scores: dict[str, Any]) -> dict[str, int]:
    """Every criterion scored with an integer inside its scale; no unknown keys."""
    unknown = set(scores) - {c.key for c in criteria}
    if unknown:
        raise invalid(f"Tiêu chí không có trong bộ tiêu chí: {', '.join(sorted(unknown))}.")
    clean: dict[str, int] = {}
    for c in criteria:
        value = scores.get(c.key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise invalid(f"Thiếu điểm hoặc điểm không phải số nguyên: tiêu chí {c.name}.")
        if not c.scale_min <= value <= c.scale_max:
            raise invalid(
                f"Điểm tiêu chí {c.name} phải từ {c.scale_min} đến {c.scale_max}.",
                criterion=c.key,
            )
        clean[c.key] = int(value)
    return clean


def weighted_total(criteria: list[Criterion], scores: dict[str, int]) -> float:
    """Weighted mean of the normalised scores, on 0-100 (gates with weight 0 add nothing)."""
    weight_sum = sum(c.weight for c in criteria)
    points = sum(c.weight * c.normalised(scores[c.key]) for c in criteria)
    return round(100.0 * points / weight_sum, 2)


def failed_gates(criteria: list[Criterion], scores: dict[str, int]) -> list[str]:
    """Keys of gate criteria scored below their pass mark."""
    return [c.key for c in criteria if c.gate and scores[c.key] < c.effective_pass_mark]


async def _serialise(session: AsyncSession) -> bool:
    """Serialise rubric-version writers on PostgreSQL (SQLite's write lock already does)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    await session.execute(text("SELECT pg_advisory_xact_lock(7303)"))
    return True


async def current_rubric(session: AsyncSession) -> RubricVersion:
    """The newest rubric version, creating version 1 from the defaults on first use."""
    latest = await session.scalar(
        select(RubricVersion).order_by(RubricVersion.version.desc()).limit(1)
    )
    if latest is not None:
        return latest
    # Two first-time callers must not both create version 1: serialise, then re-check.
    if await _serialise(session):
        latest = await session.scalar(select(RubricVersion).where(RubricVersion.version == 1))
        if latest is not None:
            return latest
    latest = RubricVersion(
        version=1,
        criteria=[c.as_dict() for c in DEFAULT_CRITERIA],
        note="Bộ tiêu chí mặc định",
    )
    session.add(latest)
    await session.flush()
    return latest


async def get_rubric_version(session: AsyncSession, *, rubric_version_id: int) -> RubricVersion:
    """One rubric version by id."""
    return await get_row(session, RubricVersion, rubric_version_id, "bộ tiêu chí")


async def update_rubric(
    session: AsyncSession, *, actor: User, criteria: list[dict[str, Any]], note: str = ""
) -> RubricVersion:
    """Admin: save a new rubric version; running evaluations keep the version they pinned."""
    from core.initiatives.service import ADMIN_ONLY  # avoid an import cycle

    require_admin(actor, ADMIN_ONLY)
    parsed = parse_criteria(criteria)
    check_weight_total(parsed)
    await _serialise(session)  # so two admins saving at once get versions n+1 and n+2
    previous = await current_rubric(session)
    rubric = RubricVersion(
        version=previous.version + 1,
        criteria=[c.as_dict() for c in parsed],
        note=note[:500],
        created_by_id=actor.id,
    )
    session.add(rubric)
    await session.flush()
    await record(
        session,
        actor_id=actor.id,
        action="rubric.update",
        entity="rubric",
        entity_id=rubric.version,
        data={"criteria": rubric.criteria, "note": rubric.note},
    )
    return rubric
