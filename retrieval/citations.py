"""A question that cites "Điều N" and little else, without naming a document (issue 9).

Most documents have an Điều 3, so "điều 3 nói gì" matches each of them equally and the ranking
picks one on the citation alone. Such an answer names the other documents that have that
article, so the official can say which one was meant, and its confidence is held at the
not-covered threshold: answered, but never shown as certain.
"""

from __future__ import annotations

from core.text import fold
from retrieval.engine import IndexState
from retrieval.models import Hit
from retrieval.text import cited_articles
from retrieval.understand import Understood

# Content syllables a question may have beyond "điều N" and still say nothing of its subject
# ("điều 3 nói gì": "nói").
_THIN = 1

_by_article: tuple[IndexState, dict[str, set[int]]] | None = None


def _documents_by_article(state: IndexState) -> dict[str, set[int]]:
    """Article number -> documents that have it (built once per index generation)."""
    global _by_article
    if _by_article is None or _by_article[0] is not state:
        table: dict[str, set[int]] = {}
        for i, row in enumerate(state.rows):
            if row.article and (state.live is None or state.live[i]):
                table.setdefault(row.article, set()).add(row.document_id)
        _by_article = (state, table)
    return _by_article[1]


def also_in(
    state: IndexState, understood: Understood, lead: Hit, allowed: set[int] | None
) -> tuple[str, ...]:
    """Titles of the other documents (that the asker may see) having the article the question
    cites, when the question is only that citation; else ()."""
    cited = cited_articles(fold(understood.text).lower())
    if lead.article is None or lead.article not in cited:
        return ()
    if understood.content_syllables - 2 * len(cited) > _THIN:
        return ()  # the question says what it is about: the ranking used that too
    others = _documents_by_article(state).get(lead.article, set()) - {lead.document_id}
    visible = others if allowed is None else others & allowed
    return tuple(sorted(state.docs[d].title for d in visible if d in state.docs))
