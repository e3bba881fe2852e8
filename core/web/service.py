"""Issue and redeem one-time login codes; open, resolve and end web console sessions."""

from __future__ import annotations

import hashlib
import hmac
import html
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import service as audit
from core.config import Settings
from core.db import utcnow
from core.errors import DomainError, ErrorCode, invalid
from core.outbox import service as outbox
from core.users.authz import require_active
from core.users.models import User
from core.web.models import LoginCode, WebSession

# No 0/O or 1/I/L: the code is read off a phone and typed by hand.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8  # 31^8 ≈ 8.5e11 codes: ample for a 10-minute, single-use code
BAD_CODE = "Mã đăng nhập không đúng, đã dùng hoặc đã hết hạn."
# Anyone can ask for a code for any Telegram ID: at most one message per user per minute.
RESEND_AFTER = timedelta(seconds=60)


def _code_hash(settings: Settings, code: str) -> str:
    # Keyed so a leaked table cannot be brute-forced back into live codes.
    key = settings.signing_key()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normalize_code(raw: str) -> str:
    """Upper-case and drop spaces/dashes so 'abcd-efgh' and 'ABCD EFGH' both match."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def format_code(code: str) -> str:
    """Show the code in two groups of four, easier to read and type."""
    return f"{code[:4]}-{code[4:]}"


async def new_code(
    session: AsyncSession, *, settings: Settings, user: User, ttl: timedelta
) -> tuple[LoginCode, str]:
    """A fresh one-time code for `user` valid for `ttl`, and its plain value (never stored).

    Only the newest code works: older unused ones are retired.
    """
    now = utcnow()
    await session.execute(
        update(LoginCode)
        .where(LoginCode.user_id == user.id, LoginCode.used_at.is_(None))
        .values(used_at=now)
    )
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    row = LoginCode(
        user_id=user.id,
        code_hash=_code_hash(settings, code),
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(row)
    await session.flush()
    return row, code


async def request_login_code(
    session: AsyncSession,
    *,
    settings: Settings,
    telegram_id: int | None = None,
    user_id: int | None = None,
) -> str | None:
    """Send a fresh one-time code to an active, registered user via the bot; None if no such user.

    Callers must not reveal whether a user was found (no account enumeration).
    """
    if (telegram_id is None) == (user_id is None):
        raise invalid("Cần đúng một trong hai: Telegram ID hoặc mã người dùng.")
    column = User.telegram_id if telegram_id is not None else User.id
    user = await session.scalar(select(User).where(column == (telegram_id or user_id)))
    if user is None or not user.active or user.telegram_id is None:
        return None
    now = utcnow()
    last = await session.scalar(
        select(LoginCode.created_at)
        .where(LoginCode.user_id == user.id)
        .order_by(LoginCode.id.desc())
        .limit(1)
    )
    if last is not None and now - last < RESEND_AFTER:
        return None
    ttl = settings.web_login_code_minutes
    row, code = await new_code(session, settings=settings, user=user, ttl=timedelta(minutes=ttl))
    await outbox.enqueue(
        session,
        user_id=user.id,
        idempotency_key=f"web-login-code:{row.id}",
        text=(
            f"🔐 Mã đăng nhập bảng điều khiển web: <code>{html.escape(format_code(code))}</code>\n"
            f"Mã có hiệu lực {ttl} phút và chỉ dùng được một lần. "
            "Nếu bạn không yêu cầu, hãy bỏ qua tin nhắn này."
        ),
    )
    return code


async def redeem_login_code(session: AsyncSession, *, settings: Settings, code: str) -> User:
    """The user a valid code belongs to; the code is consumed atomically (single use)."""
    normalized = normalize_code(code)
    if len(normalized) != CODE_LENGTH:
        raise DomainError(ErrorCode.UNAUTHENTICATED, BAD_CODE)
    now = utcnow()
    row = await session.scalar(
        select(LoginCode).where(LoginCode.code_hash == _code_hash(settings, normalized))
    )
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise DomainError(ErrorCode.UNAUTHENTICATED, BAD_CODE)
    # Conditional update: of two concurrent redemptions exactly one sees rowcount 1.
    result = await session.execute(
        update(LoginCode)
        .where(LoginCode.id == row.id, LoginCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise DomainError(ErrorCode.UNAUTHENTICATED, BAD_CODE)
    user = await session.get(User, row.user_id)
    return require_active(user)


@dataclass(frozen=True)
class OpenedSession:
    """A new session: the raw id goes into the (signed) cookie, never into the database."""

    raw_id: str
    record: WebSession


async def open_session(
    session: AsyncSession, *, settings: Settings, user: User, via: str
) -> OpenedSession:
    """Start a web session for an authenticated user and audit the sign-in."""
    require_active(user)
    raw_id = secrets.token_urlsafe(32)
    now = utcnow()
    record = WebSession(
        token_hash=_sha256(raw_id),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        via=via,
        created_at=now,
        expires_at=now + timedelta(hours=settings.web_session_hours),
    )
    session.add(record)
    await session.flush()
    await audit.record(
        session,
        actor_id=user.id,
        action="web.login",
        entity="user",
        entity_id=user.id,
        data={"via": via, "session_id": record.id},
    )
    return OpenedSession(raw_id, record)


async def _by_cookie(session: AsyncSession, raw_id: str) -> WebSession | None:
    """The session row a cookie id names (only its hash is stored), in any state."""
    return await session.scalar(select(WebSession).where(WebSession.token_hash == _sha256(raw_id)))


async def resolve_session(session: AsyncSession, *, raw_id: str) -> WebSession | None:
    """The live session for a cookie id, or None if unknown, expired, revoked or user inactive."""
    record = await _by_cookie(session, raw_id)
    if record is None or record.revoked_at is not None or record.expires_at <= utcnow():
        return None
    if not record.user.active:
        return None
    return record


async def close_session(session: AsyncSession, *, raw_id: str) -> None:
    """Revoke a session (sign-out); unknown ids are ignored."""
    record = await _by_cookie(session, raw_id)
    if record is not None and record.revoked_at is None:
        record.revoked_at = utcnow()
        await audit.record(
            session,
            actor_id=record.user_id,
            action="web.logout",
            entity="user",
            entity_id=record.user_id,
            data={"session_id": record.id},
        )
        await session.flush()
