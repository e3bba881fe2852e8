"""Database engine, sessions and the declarative base shared by every domain."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from sqlalchemy import JSON, DateTime, MetaData, Select, event, func, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapper
from sqlalchemy.types import TypeDecorator

from core.errors import not_found
from core.text import fold

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Timezone-aware current time; every timestamp in the database is UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes; SQLite drops the zone, so it is re-attached on load."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    """Declarative base: every ORM model in every domain derives from it."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


def keep_folded(model: type[Base], source: str, target: str) -> None:
    """Keep `model.<target>` equal to `fold(model.<source>)` on every ORM insert and update.

    A stored folded twin lets a search without diacritics ("thu tuc") match "thủ tục" with a
    plain LIKE on SQLite and PostgreSQL alike, instead of folding every row in Python.
    """

    def refresh(_mapper: Mapper[Any], _conn: Any, row: Any) -> None:
        setattr(row, target, fold(getattr(row, source) or ""))

    event.listen(model, "before_insert", refresh)
    event.listen(model, "before_update", refresh)


def create_engine(url: str) -> AsyncEngine:
    """An async engine; SQLite gets WAL, foreign keys and a busy timeout for concurrent writers."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _tune_sqlite(engine.sync_engine)
        return engine
    connect_args: dict[str, Any] = {}
    if url.startswith("postgresql+asyncpg"):
        # Keep people's text (bound parameters: questions, answers) out of the server's error
        # log whatever postgresql.conf says. Its sibling log_parameter_max_length (statement
        # logging) is superuser-only and would make every connection of an ordinary role fail;
        # it is -1 only where statement logging is switched on, which an operator does on purpose.
        connect_args["server_settings"] = {"log_parameter_max_length_on_error": "0"}
    return create_async_engine(
        url, pool_size=10, max_overflow=20, pool_pre_ping=True, connect_args=connect_args
    )


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, open transactions, so BEGIN IMMEDIATE works.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Take the write lock up front: SQLite's deferred upgrade can deadlock two writers.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Session factory; objects stay readable after commit (no implicit reloads in async code)."""
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def unit_of_work(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One transaction owned by the edge (request, update, job): commit on success, else roll back.

    Services only flush; whoever opens the unit of work commits.
    """
    async with sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


RowT = TypeVar("RowT")


async def paged(
    session: AsyncSession, stmt: Select[RowT], *, limit: int, offset: int = 0
) -> tuple[list[RowT], int]:
    """One window of `stmt`'s rows and how many rows it matches in all (the API's Page)."""
    counted = select(func.count()).select_from(stmt.order_by(None).subquery())
    total = await session.scalar(counted) or 0
    rows = await session.scalars(stmt.limit(limit).offset(offset))
    return list(rows.unique()), total


ModelT = TypeVar("ModelT", bound=Base)


def _reread(
    session: AsyncSession, model: type[ModelT], row_id: int, *, lock: bool, skip_locked: bool
) -> Select[ModelT]:
    """The select of `model`'s row `row_id` (its one-column primary key) that refreshes the
    identity map's copy, row-locked on PostgreSQL when `lock` (SQLite: the transaction holds
    the write lock, BEGIN IMMEDIATE)."""
    key = inspect(model).primary_key[0]
    stmt = select(model).where(key == row_id).execution_options(populate_existing=True)
    if lock and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=model, skip_locked=skip_locked)
    return stmt


async def get_row(session: AsyncSession, model: type[ModelT], row_id: int, what: str) -> ModelT:
    """`model`'s row `row_id` (the identity map's copy when already loaded); NOT_FOUND naming
    `what` (Vietnamese, e.g. "người dùng số 5") when it does not exist."""
    row = await session.get(model, row_id)
    if row is None:
        raise not_found(what)
    return row


async def load_row(
    session: AsyncSession, model: type[ModelT], row_id: int, what: str, *, lock: bool = False
) -> ModelT:
    """`model`'s row `row_id` re-read from the database (not the identity map's stale copy),
    row-locked on PostgreSQL when `lock`; NOT_FOUND naming `what` (Vietnamese, e.g. "xin ý
    kiến") when it does not exist."""
    row = await session.scalar(_reread(session, model, row_id, lock=lock, skip_locked=False))
    if row is None:
        raise not_found(what)
    return row


async def try_lock_row(session: AsyncSession, model: type[ModelT], row_id: int) -> ModelT | None:
    """`model`'s row `row_id` re-read and locked for a background job; None when another
    process holds it (PostgreSQL: FOR UPDATE SKIP LOCKED) or it is gone."""
    return await session.scalar(_reread(session, model, row_id, lock=True, skip_locked=True))
