"""Mentors (on-the-spot support): officials volunteer for their own position; a cadre sees only
active mentors of their position (never themselves), asks one from their own logged question,
only that mentor may reply, and the reply reaches the cadre marked as peer advice with the
formal xin ý kiến beside it. Every change is audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit.models import AuditEntry
from core.db import unit_of_work
from core.errors import DomainError, ErrorCode
from core.feedback.models import QuestionLog
from core.mentors import service as mentors
from core.outbox.buttons import Action, button
from core.outbox.models import OutboxMessage
from core.users.models import User
from tests.core.cases.conftest import World, load_user

TUPHAP = "Công chức Tư pháp - Hộ tịch"


async def test_volunteer_ask_and_reply(
    sessionmaker: async_sessionmaker[AsyncSession], world: World
) -> None:
    async with unit_of_work(sessionmaker) as s:
        for uid in (world.cadre, world.cadre2, world.other_cadre):
            user = await s.get(User, uid)
            assert user is not None
            user.position = TUPHAP if uid != world.cadre2 else "Công chức Văn hóa - Xã hội"
        log = QuestionLog(user_id=world.cadre, unit_id=world.commune, query="Hỏi về nuôi ong?")
        s.add(log)
    async with unit_of_work(sessionmaker) as s:
        for uid in (world.other_cadre, world.cadre2, world.cadre):
            await mentors.volunteer(s, actor=await load_user(s, uid), on=True)
    async with unit_of_work(sessionmaker) as s:
        cadre = await load_user(s, world.cadre)
        found = await mentors.mentors_for(s, actor=cadre)
        assert [m.user_id for m in found] == [world.other_cadre]  # same position, not self
        with pytest.raises(DomainError) as err:  # a mentor of another position
            await mentors.ask(s, actor=cadre, mentor_id=world.cadre2, question_id=log.id)
        assert err.value.code is ErrorCode.NOT_FOUND
    async with unit_of_work(sessionmaker) as s:
        with pytest.raises(DomainError) as err:  # somebody else's question
            await mentors.ask(
                s, actor=await load_user(s, world.other_cadre), mentor_id=world.cadre,
                question_id=log.id,
            )  # fmt: skip
        assert err.value.code is ErrorCode.NOT_FOUND
    async with unit_of_work(sessionmaker) as s:
        request = await mentors.ask(
            s, actor=await load_user(s, world.cadre), mentor_id=world.other_cadre,
            question_id=log.id,
        )  # fmt: skip
        again = await mentors.ask(
            s, actor=await load_user(s, world.cadre), mentor_id=world.other_cadre,
            question_id=log.id,
        )  # fmt: skip
        assert again.id == request.id
    async with unit_of_work(sessionmaker) as s:
        with pytest.raises(DomainError) as err:
            await mentors.reply(
                s, actor=await load_user(s, world.cadre2), request_id=request.id, text="Chen vào"
            )
        assert err.value.code is ErrorCode.NOT_FOUND
        await mentors.reply(
            s, actor=await load_user(s, world.other_cadre), request_id=request.id,
            text="Xã tôi hướng dẫn đăng ký với hợp tác xã.",
        )  # fmt: skip
    async with unit_of_work(sessionmaker) as s:
        await mentors.volunteer(s, actor=await load_user(s, world.other_cadre), on=False)
        assert await mentors.mentors_for(s, actor=await load_user(s, world.cadre)) == []
    async with sessionmaker() as s:
        told = await s.scalar(
            select(OutboxMessage).where(
                OutboxMessage.idempotency_key == f"mentor:{request.id}:replied"
            )
        )
        assert told is not None and told.user_id == world.cadre
        assert "không chính thức" in told.text and "hợp tác xã" in told.text
        assert told.buttons == [[button(Action.QUESTION_ESCALATE, log.id)]]
        actions = list(
            await s.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.action.like("mentor.%"))
                .order_by(AuditEntry.id)
            )
        )
        assert actions == ["mentor.volunteer"] * 3 + [
            "mentor.ask",
            "mentor.reply",
            "mentor.withdraw",
        ]
