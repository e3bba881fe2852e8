"""The queue tests' world (a three-rung ladder with people on each rung), reused as is."""

from tests.core.cases.conftest import world  # noqa: F401
