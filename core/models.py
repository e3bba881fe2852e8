"""Imports every ORM model so Base.metadata is complete (Alembic, tests)."""

from core.audit.models import AuditEntry
from core.cases.models import Case, PrecedentProposal
from core.chatstate.models import ChatState  # noqa: F401
from core.drills.models import Drill, DrillDelivery, DrillSchedule
from core.feedback.models import QuestionLog  # noqa: F401
from core.initiatives import models as _initiatives  # noqa: F401
from core.knowledge.models import ImportJob
from core.mentors.models import Mentor, MentorRequest
from core.outbox.models import OutboxMessage
from core.recognition.models import Commendation, PrecedentReuse
from core.tasks.models import HardTask, TaskLink, TaskNote
from core.users.models import ApiToken, Invite, Unit, User
from core.web.models import LoginCode, WebSession
from knowledge.models import Chunk, Document, DocumentVersion, KnowledgeState, StagedPassage

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Case",
    "Chunk",
    "Commendation",
    "Document",
    "DocumentVersion",
    "Drill",
    "DrillDelivery",
    "DrillSchedule",
    "HardTask",
    "ImportJob",
    "Invite",
    "KnowledgeState",
    "LoginCode",
    "Mentor",
    "MentorRequest",
    "OutboxMessage",
    "PrecedentProposal",
    "PrecedentReuse",
    "StagedPassage",
    "TaskLink",
    "TaskNote",
    "Unit",
    "User",
    "WebSession",
]
