"""API tokens: issued per user, shown once, stored as SHA-256 only, revocable."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.service import record
from core.db import get_row, utcnow
from core.errors import forbidden
from core.users.authz import is_admin
from core.users.models import ApiToken, User

PREFIX = "troly_"


def hash_token(token: str) -> str:
    """The stored form of a token (tokens are random, so a plain SHA-256 suffices)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _require_owner_or_admin(actor: User | None, user_id: int) -> None:
    """Tokens are managed by their owner, an admin, or the operator at the command line."""
    if actor is not None and actor.id != user_id and not is_admin(actor):
        raise forbidden()


async def create_token(
    session: AsyncSession, *, user_id: int, label: str = "", actor: User | None
) -> tuple[ApiToken, str]:
    """A new token row and its plain value (which is never stored), for oneself or (admin, or
    the operator at the command line when `actor` is None) for anyone."""
    _require_owner_or_admin(actor, user_id)
    user = await get_row(session, User, user_id, f"người dùng số {user_id}")
    plain = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, token_hash=hash_token(plain), label=label.strip()[:100])
    session.add(token)
    await session.flush()
    await record(
        session,
        actor_id=actor.id if actor else None,
        action="token.issue",
        entity="api_token",
        entity_id=token.id,
        data={"user_id": user.id, "label": token.label},
    )
    return token, plain


async def issue_token(
    session: AsyncSession, *, user_id: int, label: str = "", actor: User | None = None
) -> str:
    """Issue a token for a user and return its plain value (shown once); `actor` as in
    `create_token` (the default, None, is the command line, seeds and tests)."""
    _, plain = await create_token(session, user_id=user_id, label=label, actor=actor)
    return plain


async def authenticate_token(session: AsyncSession, token: str) -> User | None:
    """The active user owning this unrevoked token, or None."""
    if not token or len(token) > 200:
        return None
    row = await session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None)
        )
    )
    if row is None or not row.user.active:
        return None
    return row.user


async def list_tokens(session: AsyncSession, *, user_id: int, actor: User | None) -> list[ApiToken]:
    """A user's tokens, newest first (hashes only); for their owner, an admin or the operator."""
    _require_owner_or_admin(actor, user_id)
    query = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
    return list(await session.scalars(query))


async def revoke_token(session: AsyncSession, *, token_id: int, actor: User | None) -> ApiToken:
    """Revoke a token; its owner, an admin or the CLI operator (actor None) may do it."""
    token = await get_row(session, ApiToken, token_id, f"mã truy cập số {token_id}")
    _require_owner_or_admin(actor, token.user_id)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        await session.flush()
        await record(
            session,
            actor_id=actor.id if actor else None,
            action="token.revoke",
            entity="api_token",
            entity_id=token.id,
        )
    return token
