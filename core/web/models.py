"""ORM models of one-time login codes and web console sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, utcnow
from core.users.models import User


class LoginCode(Base):
    """A short-lived, single-use sign-in code; only its keyed hash is stored."""

    __tablename__ = "web_login_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    # Set once when redeemed (or superseded by a newer code); a used code never works again.
    used_at: Mapped[datetime | None]


class WebSession(Base):
    """A signed-in browser. The cookie carries a random id; only its SHA-256 is stored."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Per-session CSRF secret echoed by every form and htmx request.
    csrf_token: Mapped[str] = mapped_column(String(64))
    # How the person signed in: "code" (one-time code from the bot) or "token" (API token).
    via: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")
