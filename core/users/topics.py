"""Topics (lĩnh vực) a supervisor handles, and how a case's topic is matched against them.

A topic is free text, usually a position name ("Công chức Tư pháp - Hộ tịch"). Matching is on
a key that ignores case, diacritics, tone-mark placement and spacing, so "tu phap - ho tich"
matches "Tư pháp - Hộ tịch".
"""

from __future__ import annotations

from collections.abc import Iterable

from core.text import fold

MAX_TOPIC_CHARS = 100  # the width of cases.topic
MAX_TOPICS = 50


def clean_topic(text: str | None) -> str | None:
    """One topic with its whitespace collapsed, or None when empty."""
    cleaned = " ".join((text or "").split())
    return cleaned or None


def topic_key(text: str) -> str:
    """The comparison key of a topic: folded, whitespace-collapsed."""
    return " ".join(fold(text).split())


def clean_topics(values: Iterable[str]) -> list[str]:
    """Topics cleaned, empty ones dropped, duplicates (by key) dropped, first spelling kept."""
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        topic = clean_topic(value)
        if topic is None or topic_key(topic) in seen:
            continue
        seen.add(topic_key(topic))
        out.append(topic)
    return out


def handles_topic(topics: Iterable[str] | None, topic: str | None) -> bool:
    """Whether someone with `topics` handles a case about `topic` (no topics: every topic)."""
    keys = {topic_key(t) for t in topics or ()}
    if not keys or topic is None:
        return True
    return topic_key(topic) in keys
