"""One-time login codes and web sessions against a real database (no browser)."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.config import Settings
from core.db import unit_of_work, utcnow
from core.errors import DomainError, ErrorCode
from core.outbox.models import OutboxMessage
from core.users import service as users
from core.users.enums import Role, UnitKind
from core.users.schemas import UnitCreate
from core.web import service as web
from core.web.models import LoginCode, WebSession

Maker = async_sessionmaker[AsyncSession]
TG = 5550001


async def _user(sm: Maker, *, telegram_id: int | None = TG, role: Role = Role.SUPERVISOR) -> int:
    async with unit_of_work(sm) as s:
        unit = await users.create_unit(
            s, data=UnitCreate(name=f"Xã Thử {telegram_id}", kind=UnitKind.COMMUNE), actor=None
        )
        user = await users.create_user(
            s,
            full_name="Trần Văn Thử",
            role=role,
            unit_id=unit.id,
            actor=None,
            telegram_id=telegram_id,
            chat_id=telegram_id,
        )
        return user.id


def _code_in(text: str) -> str:
    match = re.search(r"<code>([A-Z0-9]{4}-[A-Z0-9]{4})</code>", text)
    assert match, text
    return match.group(1)


async def test_code_is_sent_through_the_outbox_and_works_once(
    sessionmaker: Maker, settings: Settings
) -> None:
    user_id = await _user(sessionmaker)
    async with unit_of_work(sessionmaker) as s:
        plain = await web.request_login_code(s, settings=settings, telegram_id=TG)
    assert plain is not None
    async with unit_of_work(sessionmaker) as s:
        message = await s.scalar(select(OutboxMessage).where(OutboxMessage.user_id == user_id))
        stored = list(await s.scalars(select(LoginCode)))
    assert message is not None
    sent = _code_in(message.text)
    assert web.normalize_code(sent) == plain
    # Only a keyed hash is stored, never the code itself.
    assert [row.code_hash for row in stored] != [plain] and plain not in stored[0].code_hash

    async with unit_of_work(sessionmaker) as s:
        user = await web.redeem_login_code(s, settings=settings, code=sent.lower())
    assert user.id == user_id
    with pytest.raises(DomainError) as err:
        async with unit_of_work(sessionmaker) as s:
            await web.redeem_login_code(s, settings=settings, code=sent)
    assert err.value.code is ErrorCode.UNAUTHENTICATED


async def test_expired_superseded_and_wrong_codes_fail(
    sessionmaker: Maker, settings: Settings
) -> None:
    await _user(sessionmaker)
    async with unit_of_work(sessionmaker) as s:
        first = await web.request_login_code(s, settings=settings, telegram_id=TG)
    async with unit_of_work(sessionmaker) as s:
        # A second request within the minute sends nothing (no flooding someone's chat).
        assert await web.request_login_code(s, settings=settings, telegram_id=TG) is None
        assert await s.scalar(select(func.count()).select_from(OutboxMessage)) == 1
        await s.execute(update(LoginCode).values(created_at=utcnow() - timedelta(minutes=2)))
    async with unit_of_work(sessionmaker) as s:
        second = await web.request_login_code(s, settings=settings, telegram_id=TG)
    assert first and second and first != second
    for bad in (first, "ZZZZZZZZ", "short"):
        with pytest.raises(DomainError):
            async with unit_of_work(sessionmaker) as s:
                await web.redeem_login_code(s, settings=settings, code=bad)
    async with unit_of_work(sessionmaker) as s:
        await s.execute(update(LoginCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    with pytest.raises(DomainError):
        async with unit_of_work(sessionmaker) as s:
            await web.redeem_login_code(s, settings=settings, code=second)


async def test_unknown_unregistered_or_inactive_users_get_no_code(
    sessionmaker: Maker, settings: Settings
) -> None:
    unregistered = await _user(sessionmaker, telegram_id=None)
    inactive = await _user(sessionmaker, telegram_id=TG + 1)
    async with unit_of_work(sessionmaker) as s:
        admin = await users.create_user(
            s,
            full_name="Quản Trị",
            role=Role.ADMIN,
            unit_id=(await users.require_user(s, user_id=inactive)).unit_id,
            actor=None,
        )
        await users.deactivate(s, user_id=inactive, actor=admin)
    async with unit_of_work(sessionmaker) as s:
        assert await web.request_login_code(s, settings=settings, telegram_id=999) is None
        assert await web.request_login_code(s, settings=settings, user_id=unregistered) is None
        assert await web.request_login_code(s, settings=settings, telegram_id=TG + 1) is None
        assert await s.scalar(select(OutboxMessage.id)) is None


async def test_concurrent_redemptions_have_one_winner(
    sessionmaker: Maker, settings: Settings
) -> None:
    await _user(sessionmaker)
    async with unit_of_work(sessionmaker) as s:
        plain = await web.request_login_code(s, settings=settings, telegram_id=TG)
    assert plain

    async def attempt() -> bool:
        try:
            async with unit_of_work(sessionmaker) as s:
                await web.redeem_login_code(s, settings=settings, code=plain)
            return True
        except DomainError:
            return False

    results = await asyncio.gather(*(attempt() for _ in range(8)))
    assert sum(results) == 1


async def test_sessions_resolve_until_closed_or_expired(
    sessionmaker: Maker, settings: Settings
) -> None:
    user_id = await _user(sessionmaker)
    async with unit_of_work(sessionmaker) as s:
        user = await users.require_user(s, user_id=user_id)
        opened = await web.open_session(s, settings=settings, user=user, via="token")
    async with unit_of_work(sessionmaker) as s:
        found = await web.resolve_session(s, raw_id=opened.raw_id)
        assert found is not None and found.user_id == user_id
        assert await web.resolve_session(s, raw_id=opened.raw_id + "x") is None
        stored = await s.scalar(select(WebSession.token_hash))
        assert stored != opened.raw_id
    async with unit_of_work(sessionmaker) as s:
        await web.close_session(s, raw_id=opened.raw_id)
    async with unit_of_work(sessionmaker) as s:
        assert await web.resolve_session(s, raw_id=opened.raw_id) is None
        other = await web.open_session(s, settings=settings, user=user, via="code")
        other.record.expires_at = utcnow() - timedelta(seconds=1)
    async with unit_of_work(sessionmaker) as s:
        assert await web.resolve_session(s, raw_id=other.raw_id) is None
