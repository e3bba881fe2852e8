"""Precedent reuse: when an approved precedent leads the answer (through core.answers.ask, the
path every front takes) for a cadre of another commune, one reuse is recorded per asker per
precedent; the author's record shows "reused by N other communes" with its evidence rows, and
the commendation suggestions give it as the reason. The asking commune itself does not count."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.answers.service import ask
from core.cases import precedents, service
from core.cases.schemas import CaseAnswer, PrecedentApprove, PrecedentPropose
from core.config import Settings
from core.db import unit_of_work
from core.recognition.models import PrecedentReuse
from core.recognition.service import suggestions
from core.record.service import build
from retrieval.service import Retriever
from tests.core.cases.conftest import World, load_user, new_case

QUESTION = "Trưởng thôn tự ý thu quỹ khuyến học theo đầu hộ thì xã xử lý thế nào?"
ANSWER = "Không được bắt buộc thu; quỹ khuyến học chỉ vận động tự nguyện, xã phải chấn chỉnh."


async def test_reuse_by_another_commune_is_counted_once_and_shown(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    world: World,
    tmp_path: Path,
) -> None:
    case = await new_case(sessionmaker, settings, world.cadre, question=QUESTION)
    async with unit_of_work(sessionmaker) as s:
        await service.answer(
            s, actor=await load_user(s, world.sup1), case_id=case.id,
            data=CaseAnswer(text=ANSWER, legal_basis="Quy chế dân chủ ở cơ sở"),
        )  # fmt: skip
        proposal = await precedents.propose(
            s, actor=await load_user(s, world.sup1), case_id=case.id, data=PrecedentPropose()
        )
    async with unit_of_work(sessionmaker) as s:
        await precedents.approve(
            s, actor=await load_user(s, world.admin), proposal_id=proposal.id,
            data=PrecedentApprove(title="Thu quỹ khuyến học theo đầu hộ", scope="province"),
        )  # fmt: skip
    lexical = settings.model_copy(update={"models_dir": tmp_path / "no-models"})
    retriever = await Retriever.create(lexical, sessionmaker)
    await retriever.sync()
    for asker in (world.other_cadre, world.other_cadre, world.cadre2):
        async with sessionmaker() as s:  # as the fronts do: no write lock held while searching
            user = await load_user(s, asker)
        async with unit_of_work(sessionmaker) as s:
            answer = await ask(
                s, retriever, user=user, k=3, query="trưởng thôn thu quỹ khuyến học theo đầu hộ"
            )
            assert answer.passages[0]["kind"] == "precedent"
    async with sessionmaker() as s:
        rows = list(await s.scalars(select(PrecedentReuse)))
        # The other commune's cadre once (asked twice); the same commune's cadre not at all.
        assert [(r.proposal_id, r.user_id, r.unit_id) for r in rows] == [
            (proposal.id, world.other_cadre, world.other_commune)
        ]
        record = await build(s, actor=await load_user(s, world.sup1), user_id=world.sup1)
        figures = {f.key: f for f in record.figures}
        assert figures["precedents"].evidence[0].label.endswith("(được 1 xã khác dùng lại)")
        reuses = figures["precedent_reuses"]
        count = await s.scalar(select(func.count(PrecedentReuse.id)))
        assert reuses.count == count == 1
        assert reuses.evidence[0].id == proposal.id
        offered = await suggestions(s, actor=await load_user(s, world.sup2))
        reasons = {src.reason for src, _ in offered if src.id == proposal.id}
        assert reasons == {"Hướng dẫn được 1 xã khác dùng lại"}
