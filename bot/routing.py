"""Router factories for the feature modules.

An aiogram Router attaches to one dispatcher only, and a restart (or a test) builds a new
dispatcher in the same process. So a feature module does not own a Router: it records its
handlers on a `RouterFactory` (same decorators as a Router) and every dispatcher gets a new
Router from `build()`, with each handler registered afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiogram import Router
from aiogram.dispatcher.event.handler import CallbackType

H = TypeVar("H", bound=Callable[..., Any])


@dataclass(frozen=True)
class _Handler:
    event: str
    callback: CallbackType
    filters: tuple[CallbackType, ...]
    flags: dict[str, Any] | None


@dataclass
class RouterFactory:
    """The handlers of one feature, in registration order; `build()` is the router factory."""

    name: str
    _handlers: list[_Handler] = field(default_factory=list)

    def _on(self, event: str, filters: tuple[CallbackType, ...], flags: Any) -> Callable[[H], H]:
        def record(callback: H) -> H:
            self._handlers.append(_Handler(event, callback, filters, flags))
            return callback

        return record

    def message(
        self, *filters: CallbackType, flags: dict[str, Any] | None = None
    ) -> Callable[[H], H]:
        """Like Router.message: handle messages passing every filter."""
        return self._on("message", filters, flags)

    def callback_query(
        self, *filters: CallbackType, flags: dict[str, Any] | None = None
    ) -> Callable[[H], H]:
        """Like Router.callback_query: handle button presses passing every filter."""
        return self._on("callback_query", filters, flags)

    def build(self) -> Router:
        """A new Router with every recorded handler, for one dispatcher."""
        router = Router(name=self.name)
        for h in self._handlers:
            router.observers[h.event].register(h.callback, *h.filters, flags=h.flags)
        return router
