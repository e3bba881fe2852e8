"""Holding a slow step at a gate, so a test sees what happens meanwhile without racing a sleep."""

from __future__ import annotations

import threading
from typing import Any

import pytest


def hold(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> threading.Event:
    """Make `owner.name` (a function or method) wait until the returned gate is set."""
    gate = threading.Event()
    real = getattr(owner, name)

    def held(*args: Any, **kwargs: Any) -> Any:
        gate.wait(timeout=600)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, held)
    return gate
