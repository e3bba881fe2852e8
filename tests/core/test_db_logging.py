"""PostgreSQL connections never let the server log bound parameters (people's text) on error,
even where the database's own configuration asks for them."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.db import create_engine


async def test_error_log_omits_parameters(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("a PostgreSQL setting")
    name = db_url.rpartition("/")[2]
    admin = create_engine(db_url)
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(
            text(f'ALTER DATABASE "{name}" SET log_parameter_max_length_on_error = 1000')
        )
    await admin.dispose()
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            shown = await conn.scalar(text("SHOW log_parameter_max_length_on_error"))
        assert shown == "0"
    finally:
        await engine.dispose()
        admin = create_engine(db_url)
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(
                text(f'ALTER DATABASE "{name}" RESET log_parameter_max_length_on_error')
            )
        await admin.dispose()
