"""Knowledge-base services, the one import point for every front and domain.

Import with content hashing and versions, metadata edits, retire (`knowledge.store`);
precedents, good practice and the starter seed (`knowledge.authored`); read-only queries
(`knowledge.queries`).
Every change bumps `KnowledgeState.revision` and writes an audit entry in the caller's
transaction: services flush, never commit; after committing, the edge calls `retriever.sync()`.
"""

from __future__ import annotations

from knowledge.authored import (
    STARTER_DIR,
    create_good_practice,
    create_precedent,
    seed_if_empty,
    seed_starter,
)
from knowledge.queries import (
    DocumentPage,
    KnowledgeStats,
    chunk_counts,
    current_revision,
    get_document,
    get_version_text,
    list_chunks,
    list_documents,
    stats,
)
from knowledge.store import (
    EDITABLE_FIELDS,
    STATUS_LABELS,
    ImportResult,
    ImportStatus,
    PlannedImport,
    bump_revision,
    import_documents,
    import_parsed,
    plan_import,
    retire_document,
    unretire_document,
    update_metadata,
)

__all__ = [
    "EDITABLE_FIELDS",
    "STARTER_DIR",
    "STATUS_LABELS",
    "DocumentPage",
    "ImportResult",
    "ImportStatus",
    "KnowledgeStats",
    "PlannedImport",
    "bump_revision",
    "chunk_counts",
    "create_good_practice",
    "create_precedent",
    "current_revision",
    "get_document",
    "get_version_text",
    "import_documents",
    "import_parsed",
    "list_chunks",
    "list_documents",
    "plan_import",
    "retire_document",
    "seed_if_empty",
    "seed_starter",
    "stats",
    "unretire_document",
    "update_metadata",
]
