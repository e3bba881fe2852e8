"""Units, invitations (sign-up), tokens and roles against a real database."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit.models import AuditEntry
from core.audit.service import verify
from core.db import unit_of_work, utcnow
from core.errors import DomainError, ErrorCode
from core.users import authz as access
from core.users import service as users
from core.users.enums import Role
from core.users.models import Invite
from core.users.schemas import UnitCreate, UnitUpdate
from tests.factories import make_ladder, make_person

Maker = async_sessionmaker[AsyncSession]
POSITIONS = ["Công chức Tư pháp - Hộ tịch", "Công chức Địa chính"]


async def _units(sm: Maker) -> tuple[int, int, int]:
    async with unit_of_work(sm) as s:
        ladder = await make_ladder(
            s,
            province="Tỉnh Mẫu",
            department="Sở Nội vụ",
            communes=[("  UBND  xã Tân Phú ", [*POSITIONS, POSITIONS[0]])],
        )
        assert ladder.department_id is not None
        return ladder.province_id, ladder.department_id, ladder.commune_ids[0]


async def test_units_create_list_update_and_ladder(sessionmaker: Maker) -> None:
    province, dept, commune = await _units(sessionmaker)
    async with unit_of_work(sessionmaker) as s:
        unit = await users.require_unit(s, unit_id=commune)
        assert unit.name == "UBND xã Tân Phú"
        assert unit.positions == POSITIONS  # duplicates dropped
        assert [u.id for u in await users.list_units(s)] == [province, dept, commune]
        assert [u.id for u in await users.list_units(s, kind="commune")] == [commune]
        with pytest.raises(DomainError) as dup:
            await users.create_unit(
                s, data=UnitCreate(name="UBND xã Tân Phú", kind="commune"), actor=None
            )
        assert dup.value.code is ErrorCode.CONFLICT
    async with unit_of_work(sessionmaker) as s:
        # province -> commune would close the loop commune -> dept -> province -> commune
        with pytest.raises(DomainError) as loop:
            await users.update_unit(
                s, unit_id=province, data=UnitUpdate(escalates_to_id=commune), actor=None
            )
        assert loop.value.code is ErrorCode.INVALID
        assert "vòng lặp" in loop.value.message
    async with unit_of_work(sessionmaker) as s:
        changed = await users.update_unit(
            s, unit_id=commune, data=UnitUpdate(positions=["Chủ tịch UBND"]), actor=None
        )
        assert changed.positions == ["Chủ tịch UBND"]
        assert changed.escalates_to_id == dept  # untouched field kept


async def test_invite_redeem_registers_with_role_unit_and_position(sessionmaker: Maker) -> None:
    _, _, commune = await _units(sessionmaker)
    async with unit_of_work(sessionmaker) as s:
        invite = await users.create_invite(s, role="cadre", unit_id=commune, actor=None)
        code = invite.code
    assert 16 <= len(code) <= 64 and all(c.isalnum() or c in "-_" for c in code)
    assert users.deep_link(code, "@trolybot") == f"https://t.me/trolybot?start={code}"
    async with unit_of_work(sessionmaker) as s:
        with pytest.raises(DomainError) as bad:
            await users.redeem_invite(
                s, code=code, telegram_id=11, chat_id=11, full_name="Lê Văn A", position="Kế toán"
            )
        assert bad.value.details["allowed_positions"] == POSITIONS
    async with unit_of_work(sessionmaker) as s:
        user = await users.redeem_invite(
            s,
            code=code,
            telegram_id=11,
            chat_id=11,
            full_name=" Lê  Văn A ",
            position="công chức địa chính",
        )
        assert (user.full_name, user.role, user.unit_id) == ("Lê Văn A", "cadre", commune)
        assert user.position == "Công chức Địa chính"  # canonical spelling
        assert access.supervised_unit_ids(user) == set()
    async with unit_of_work(sessionmaker) as s:
        found = await users.get_by_telegram_id(s, telegram_id=11)
        assert found is not None and found.id == user.id
        with pytest.raises(DomainError) as used:
            await users.redeem_invite(
                s, code=code, telegram_id=12, chat_id=12, full_name="Trần B", position=None
            )
        assert used.value.details["reason"] == "used_up"
        with pytest.raises(DomainError) as unknown:
            await users.check_invite(s, code="khong-co-ma-nay")
        assert unknown.value.code is ErrorCode.NOT_FOUND
        assert "Mã mời không đúng" in unknown.value.message


async def test_supervisor_invite_links_supervised_units(sessionmaker: Maker) -> None:
    _, dept, commune = await _units(sessionmaker)
    async with unit_of_work(sessionmaker) as s:
        invite = await users.create_invite(
            s,
            role=Role.SUPERVISOR,
            unit_id=dept,
            actor=None,
            supervised_unit_ids=[commune, dept],
        )
        with pytest.raises(DomainError):
            await users.create_invite(
                s, role="cadre", unit_id=dept, actor=None, supervised_unit_ids=[commune]
            )
    async with unit_of_work(sessionmaker) as s:
        sup = await users.redeem_invite(
            s, code=invite.code, telegram_id=21, chat_id=21, full_name="Phạm C", position=None
        )
    assert access.supervised_unit_ids(sup) == {commune, dept}
    assert access.can_supervise(sup, commune)
    async with unit_of_work(sessionmaker) as s:
        assert [u.id for u in await users.supervisors_of(s, unit_id=commune)] == [sup.id]


async def test_expired_invite_and_already_registered(sessionmaker: Maker) -> None:
    _, dept, _ = await _units(sessionmaker)
    async with unit_of_work(sessionmaker) as s:
        a = await users.create_invite(s, role="evaluator", unit_id=dept, actor=None, uses=5)
        b = await users.create_invite(s, role="evaluator", unit_id=dept, actor=None)
        await s.execute(
            update(Invite).where(Invite.id == b.id).values(expires_at=utcnow() - timedelta(1))
        )
    async with unit_of_work(sessionmaker) as s:
        with pytest.raises(DomainError) as expired:
            await users.redeem_invite(
                s, code=b.code, telegram_id=31, chat_id=31, full_name="Võ D", position=None
            )
        assert expired.value.details["reason"] == "expired"
        assert "hết hạn" in expired.value.message
    async with unit_of_work(sessionmaker) as s:
        await users.redeem_invite(
            s, code=a.code, telegram_id=31, chat_id=31, full_name="Võ D", position=None
        )
    async with unit_of_work(sessionmaker) as s:
        with pytest.raises(DomainError) as twice:
            await users.redeem_invite(
                s, code=a.code, telegram_id=31, chat_id=31, full_name="Võ D", position=None
            )
        assert twice.value.details["reason"] == "already_registered"
        left = await s.scalar(select(Invite.uses_left).where(Invite.id == a.id))
        assert left == 4  # the refused attempt consumed nothing


async def test_concurrent_redeems_never_exceed_uses(sessionmaker: Maker) -> None:
    _, _, commune = await _units(sessionmaker)
    async with unit_of_work(sessionmaker) as s:
        invite = await users.create_invite(s, role="cadre", unit_id=commune, actor=None, uses=3)

    async def attempt(i: int) -> bool:
        try:
            async with unit_of_work(sessionmaker) as s:
                await users.redeem_invite(
                    s,
                    code=invite.code,
                    telegram_id=100 + i,
                    chat_id=100 + i,
                    full_name=f"Người {i}",
                    position=POSITIONS[0],
                )
            return True
        except DomainError:
            return False

    results = await asyncio.gather(*(attempt(i) for i in range(10)))
    assert sum(results) == 3
    async with unit_of_work(sessionmaker) as s:
        assert await s.scalar(select(Invite.uses_left).where(Invite.id == invite.id)) == 0
        assert await users.count_users(s, actor=None, unit_id=commune) == 3


async def test_tokens_roles_deactivation_and_audit(sessionmaker: Maker) -> None:
    async with unit_of_work(sessionmaker) as s:
        admin, token = await users.bootstrap_admin(s, full_name="Quản Trị", unit_name="Tỉnh Mẫu")
    assert token.startswith("troly_")
    async with unit_of_work(sessionmaker) as s:
        with pytest.raises(DomainError) as again:
            await users.bootstrap_admin(s, full_name="Khác", unit_name="Tỉnh Mẫu")
        assert again.value.code is ErrorCode.CONFLICT
        me = await users.authenticate_token(s, token)
        assert me is not None and me.id == admin.id and me.role == "admin"
        assert await users.authenticate_token(s, token + "x") is None
        cadre = await users.create_user(
            s, full_name="Cán Bộ", role="cadre", unit_id=admin.unit_id, actor=me
        )
        cadre_token = await users.issue_token(s, user_id=cadre.id, label="thử")
        with pytest.raises(DomainError) as denied:
            await users.set_role(s, user_id=admin.id, role="cadre", actor=cadre)
        assert denied.value.code is ErrorCode.FORBIDDEN
        promoted = await users.set_role(s, user_id=cadre.id, role="supervisor", actor=me)
        assert access.supervised_unit_ids(promoted) == {admin.unit_id}
    async with unit_of_work(sessionmaker) as s:
        me = await users.authenticate_token(s, token)
        assert me is not None
        await users.deactivate(s, user_id=cadre.id, actor=me)
    async with unit_of_work(sessionmaker) as s:
        assert await users.authenticate_token(s, cadre_token) is None
        me = await users.authenticate_token(s, token)
        assert me is not None
        [row] = await users.list_tokens(s, user_id=admin.id, actor=me)
        assert row.token_hash != token and len(row.token_hash) == 64
        await users.revoke_token(s, token_id=row.id, actor=me)
    async with unit_of_work(sessionmaker) as s:
        assert await users.authenticate_token(s, token) is None
        actions = list(await s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
        report = await verify(s)
    assert report.ok
    for action in (
        "unit.create",
        "user.create",
        "token.issue",
        "user.set_role",
        "user.deactivate",
        "token.revoke",
    ):
        assert action in actions


async def test_only_admins_change_people_and_units_whoever_calls(sessionmaker: Maker) -> None:
    """Issue 10: the services check the actor themselves (units, people and their lists, tokens,
    invitations), so no front can forget it; the audit trail names the admin (None: the
    command-line operator)."""
    province, _, commune = await _units(sessionmaker)
    async with unit_of_work(sessionmaker) as s:
        admin = await make_person(s, role=Role.ADMIN, unit_id=province, name="Quản Trị")
        cadre = await make_person(s, role=Role.CADRE, unit_id=commune, name="Cán Bộ")
        sup = await make_person(s, role=Role.SUPERVISOR, unit_id=commune, name="Phụ Trách")
    for who in (sup.user, cadre.user):
        async with unit_of_work(sessionmaker) as s:
            actor = await users.require_user(s, user_id=who.id)
            attempts = [
                users.create_unit(s, data=UnitCreate(name="Xã Lạ", kind="commune"), actor=actor),
                users.update_unit(s, unit_id=commune, data=UnitUpdate(name="Xã Đổi"), actor=actor),
                users.create_user(
                    s, full_name="Người Lạ", role="admin", unit_id=commune, actor=actor
                ),
                users.issue_token(s, user_id=admin.id, actor=actor),
                users.create_invite(s, role="admin", unit_id=commune, actor=actor),
                users.list_users(s, actor=actor),
                users.count_users(s, actor=actor),
                users.list_invites(s, actor=actor),
            ]
            for attempt in attempts:
                with pytest.raises(DomainError) as denied:
                    await attempt
                assert denied.value.code is ErrorCode.FORBIDDEN
    async with unit_of_work(sessionmaker) as s:
        actor = await users.require_user(s, user_id=admin.id)
        unit = await users.create_unit(
            s, data=UnitCreate(name="Xã Mới", kind="commune"), actor=actor
        )
        await users.update_unit(s, unit_id=unit.id, data=UnitUpdate(name="Xã Mới Hơn"), actor=actor)
        await users.issue_token(s, user_id=cadre.id, actor=actor)
        invite = await users.create_invite(s, role="cadre", unit_id=commune, actor=actor)
        assert invite.created_by_id == admin.id
        own = await users.require_user(s, user_id=cadre.id)
        await users.issue_token(s, user_id=cadre.id, actor=own)  # one's own token
    async with unit_of_work(sessionmaker) as s:
        rows = await s.scalars(
            select(AuditEntry).where(AuditEntry.action.in_(["unit.update", "token.issue"]))
        )
        actors = [(e.action, e.actor_id) for e in rows]
        assert ("unit.update", admin.id) in actors and ("token.issue", cadre.id) in actors
        assert (await users.require_unit(s, unit_id=unit.id)).name == "Xã Mới Hơn"
