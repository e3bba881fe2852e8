"""Every feature module records its handlers on a RouterFactory, so each dispatcher (a restart,
a test) gets routers of its own with every handler."""

from __future__ import annotations

import pkgutil
from importlib import import_module

import bot.handlers
from bot.main import routers
from bot.routing import RouterFactory


def test_every_handler_module_uses_a_router_factory() -> None:
    modules = [
        import_module(f"bot.handlers.{info.name}")
        for info in pkgutil.iter_modules(bot.handlers.__path__)
    ]
    assert "bot.handlers.admin_kb" in {m.__name__ for m in modules}
    owners = {m.__name__: type(m.router).__name__ for m in modules if hasattr(m, "router")}
    assert owners and all(kind == RouterFactory.__name__ for kind in owners.values()), owners


def test_each_dispatcher_gets_new_routers_with_the_same_handlers() -> None:
    first, second = routers(), routers()
    assert len(first) == len(second) == len({r.name for r in first})
    for a, b in zip(first, second, strict=True):
        assert a is not b and a.name == b.name
        for event in ("message", "callback_query"):
            ours = [h.callback for h in a.observers[event].handlers]
            assert ours == [h.callback for h in b.observers[event].handlers]
    kb = next(r for r in first if r.name == "bot.handlers.admin_kb")
    assert kb.observers["message"].handlers and kb.observers["callback_query"].handlers
