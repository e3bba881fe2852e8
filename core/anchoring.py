"""Periodic audit anchors (see `core.audit.anchors`): write one when the log has grown, and
send it to every active admin through the outbox, so a copy also lives outside the server.

Runs in the worker loop `troly run` starts, and on `troly audit anchor`.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit.anchors import Anchor, current_head, last_anchor, write_anchor
from core.config import Settings
from core.db import unit_of_work
from core.outbox.service import Outgoing, enqueue_many
from core.periodic import every
from core.users.enums import Role
from core.users.models import User

log = logging.getLogger(__name__)


def anchor_text(anchor: Anchor) -> str:
    """The admins' copy: enough to re-check the log against it later by hand."""
    return (
        "🔒 <b>Mốc kiểm chứng nhật ký</b>\n"
        f"Số mục: {anchor.count}\n"
        f"Mã băm cuối: <code>{anchor.head}</code>\n"
        f"Thời điểm (UTC): {anchor.at}\n"
        f"Chữ ký: <code>{anchor.signature}</code>\n"
        "Hãy giữ tin nhắn này: nếu nhật ký bị xóa bớt hoặc viết lại, "
        "lệnh “troly audit verify” sẽ không khớp với mốc."
    )


async def anchor_now(
    session: AsyncSession, settings: Settings, *, force: bool = False
) -> Anchor | None:
    """Append an anchor (unless nothing was logged since the last one) and queue it to admins."""
    count, head = await current_head(session)
    previous = last_anchor(settings)
    if not force and previous is not None and (previous.count, previous.head) == (count, head):
        return None
    anchor = await write_anchor(session, settings)
    admins = await session.scalars(
        select(User.id).where(User.role == Role.ADMIN, User.active.is_(True))
    )
    await enqueue_many(
        session,
        [
            Outgoing(
                admin,
                anchor_text(anchor),
                f"audit-anchor:{anchor.count}:{anchor.head[:16]}:{admin}",
            )
            for admin in admins
        ],
    )
    return anchor


async def run_anchor_loop(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, stop: asyncio.Event
) -> None:
    """Anchor every audit_anchor_minutes until `stop` is set (first pass at start-up)."""

    async def anchor() -> None:
        async with unit_of_work(sessionmaker) as session:
            await anchor_now(session, settings)

    await every(settings.audit_anchor_minutes * 60, anchor, stop, "audit anchor")
