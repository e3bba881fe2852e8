"""Fresh objects for API tests, made through the services (cases, answered cases, documents)."""

from __future__ import annotations

import itertools

from apikit import World

from core.cases import precedents
from core.cases import service as case_service
from core.cases.schemas import CaseAnswer, CaseCreate, PrecedentPropose
from core.context import AppContext
from core.db import unit_of_work
from core.users import service as users
from knowledge import service as kb
from knowledge.importers import parse_documents

_counter = itertools.count(1)

# Distinct situations so no two cases look like near-duplicates of each other.
QUESTIONS = [
    "Hộ gia đình xin cấp lại sổ đỏ bị cháy thì xã cần xác minh những gì?",
    "Người nước ngoài kết hôn với công dân trong xã, đăng ký ở cấp nào?",
    "Trường học xin dùng nhà văn hoá thôn làm điểm thi có được không?",
    "Cán bộ bán chuyên trách nghỉ ốm dài ngày thì ai làm thay?",
    "Hộ kinh doanh lấn chiếm vỉa hè, xã xử phạt theo quy định nào?",
    "Xác nhận đơn xin vay vốn ưu đãi cho hộ nghèo cần giấy tờ gì?",
]


def question() -> str:
    """A new, distinct question text."""
    n = next(_counter)
    return f"{QUESTIONS[n % len(QUESTIONS)]} (tình huống số {n})"


async def new_case(ctx: AppContext, world: World, asker: str = "cadre") -> int:
    """A new open case asked by `asker`, routed to its unit's supervisors."""
    async with unit_of_work(ctx.sessionmaker) as s:
        actor = await users.require_user(s, user_id=world.ids[asker])
        case = await case_service.create_case(
            s, actor=actor, data=CaseCreate(question=question()), settings=ctx.settings
        )
        return case.id


async def answered_case(ctx: AppContext, world: World) -> int:
    """A case of the cadre answered by the supervisor."""
    case_id = await new_case(ctx, world)
    async with unit_of_work(ctx.sessionmaker) as s:
        actor = await users.require_user(s, user_id=world.ids["supervisor"])
        await case_service.answer(
            s,
            actor=actor,
            case_id=case_id,
            data=CaseAnswer(text="Xã tiếp nhận và hướng dẫn theo quy trình một cửa."),
        )
    return case_id


async def proposal(ctx: AppContext, world: World) -> int:
    """A pending precedent proposal made by the supervisor from an answered case."""
    case_id = await answered_case(ctx, world)
    async with unit_of_work(ctx.sessionmaker) as s:
        actor = await users.require_user(s, user_id=world.ids["supervisor"])
        made = await precedents.propose(s, actor=actor, case_id=case_id, data=PrecedentPropose())
        return made.id


def document_text(title: str, body: str) -> bytes:
    """A small Markdown regulation with two articles."""
    return (
        f"# {title}\n\n"
        "Điều 1. Phạm vi áp dụng\n"
        f"{body}\n\n"
        "Điều 2. Trách nhiệm thực hiện\n"
        "Công chức cấp xã chủ động báo cáo Chủ tịch Ủy ban nhân dân xã khi gặp tình huống mới.\n"
    ).encode()


async def new_document(ctx: AppContext, title: str | None = None) -> int:
    """A freshly imported document."""
    title = title or f"Hướng dẫn thử nghiệm số {next(_counter)}"
    parsed = parse_documents(
        document_text(title, "Quy định này hướng dẫn việc tiếp nhận hồ sơ tại bộ phận một cửa."),
        "tai-lieu.md",
    )
    async with unit_of_work(ctx.sessionmaker) as s:
        [result] = await kb.import_documents(s, parsed)
        return result.document_id


async def new_token(ctx: AppContext, user_id: int) -> int:
    """A new token of the user; returns its id."""
    async with unit_of_work(ctx.sessionmaker) as s:
        await users.issue_token(s, user_id=user_id, label="thêm")
        tokens = await users.list_tokens(s, user_id=user_id, actor=None)
        return tokens[0].id
