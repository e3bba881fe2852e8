"""Property-based fuzzing of every documented operation (schemathesis, in-process over ASGI)
as an admin and as a cadre: whatever the input, the API never answers with a server error.

Bounded: about EXAMPLES requests per operation and role on each database, a minute or two.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import schemathesis
from apikit import World, build_world
from apistate import answered_case, new_case, new_document
from hypothesis import HealthCheck, given
from hypothesis import settings as budget
from schemathesis import Case

from api.main import create_app
from core.config import Settings
from core.context import AppContext

EXAMPLES = 20
ROLES = ("admin", "cadre")
# Fuzzed last: they can revoke or demote the fuzzing identities themselves.
LAST = {("POST", "/api/v1/tokens/{token_id}/revoke"), ("PATCH", "/api/v1/users/{user_id}")}


def _world(app_settings: Settings) -> World:
    async def build() -> World:
        ctx = await AppContext.create(app_settings)
        try:
            world = await build_world(ctx)
            # Something to find: an open and an answered case, a document.
            await new_case(ctx, world)
            await answered_case(ctx, world)
            await new_document(ctx)
            return world
        finally:
            await ctx.close()

    with ThreadPoolExecutor(1) as pool:  # its own event loop, apart from the test's
        return pool.submit(asyncio.run, build()).result()


def _fuzz(operation: Any, role: str, headers: dict[str, str], failures: list[str]) -> int:
    """Call `operation` with up to EXAMPLES generated requests; server errors are collected."""
    calls = 0

    @given(case=operation.as_strategy())
    @budget(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def call(case: Case) -> None:
        nonlocal calls
        calls += 1
        response = case.call(headers={**(case.headers or {}), **headers})
        if response.status_code >= 500:
            failures.append(
                f"{role} {case.method} {case.formatted_path} {case.query} "
                f"{str(case.body)[:200]!r} -> {response.status_code} {response.text[:200]}"
            )

    call()
    return calls


@pytest.mark.slow
def test_no_server_errors_on_any_operation(settings: Settings) -> None:
    settings.duplicate_similarity = 1.01  # every fuzzed case stands alone
    world = _world(settings)
    # No ctx: the app's lifespan opens its own in schemathesis' event loop, where it is called.
    app = create_app(settings=settings)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = sorted(
        (op.ok() for op in schema.get_all_operations()),
        key=lambda op: (op.method.upper(), op.path) in LAST,
    )
    failures: list[str] = []
    calls = sum(
        _fuzz(operation, role, world.auth(role), failures)
        for operation in operations
        for role in ROLES
    )
    assert calls > len(operations) * len(ROLES)
    assert not failures, "\n".join(failures)
