"""Internal notes on a case: supervisors and admins who see the case read and write them; the
asker never does."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.cases.notes import add_note, list_notes
from core.config import Settings
from core.db import unit_of_work
from core.errors import DomainError, ErrorCode

from .conftest import World, load_user, new_case


async def test_notes_are_for_supervisors_and_admins_only(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    case = await new_case(sessionmaker, settings, world.cadre)
    async with unit_of_work(sessionmaker) as s:
        await add_note(
            s, actor=await load_user(s, world.sup1), case_id=case.id, text="Hỏi thêm Sở Tư pháp"
        )
        await add_note(s, actor=await load_user(s, world.admin), case_id=case.id, text="Đồng ý")
    async with unit_of_work(sessionmaker) as s:
        seen = await list_notes(s, actor=await load_user(s, world.sup2), case_id=case.id)
        assert [n.text for n in seen] == ["Hỏi thêm Sở Tư pháp", "Đồng ý"]
        assert seen[0].author.full_name == "Phạm Thu Hà"
        # The asker sees the case but not its notes; another commune does not see the case.
        with pytest.raises(DomainError) as err:
            await list_notes(s, actor=await load_user(s, world.cadre), case_id=case.id)
        assert err.value.code is ErrorCode.FORBIDDEN
        with pytest.raises(DomainError) as err:
            await list_notes(s, actor=await load_user(s, world.other_sup), case_id=case.id)
        assert err.value.code is ErrorCode.NOT_FOUND
        with pytest.raises(DomainError) as err:
            await add_note(s, actor=await load_user(s, world.sup1), case_id=case.id, text="  ")
        assert "không được để trống" in err.value.message
